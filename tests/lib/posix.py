#!/usr/bin/env python3
"""posix.py: a POSIX behaviour suite for lakemount's layer paths, in the
spirit of pjdfstest.

    posix.py [--fs linux|lakemount] PHASE DIR

Every case is one row of a table: an id, what a user does, and the outcome
a Linux local filesystem (ext4, tmpfs) gives: "0" for success, an errno
name ("EEXIST"), or a short observed value ("size=10").  A case runs in a
fresh directory of its own under DIR, performs its setup (which must
succeed), then the one call it checks, and prints

    ok   rename.dir_over_file: rename(dir, file) -> ENOTDIR

or "FAIL ... expected X, got Y".  With --fs linux every case must give the
Linux outcome (run it on a tmpfs: that checks the table itself).  With --fs
lakemount a case listed in DIFFERENCES must give lakemount's documented
outcome instead (man lakemount(8), POSIX BEHAVIOUR), and every other case
the Linux one.  The last line counts the cases; exit 1 if any failed, 2 on
bad usage.

Phases (DIR must exist):
  main          open, creat, unlink, rename, mkdir, rmdir, truncate,
                chmod, chown, utimensat, link, symlink, mknod, xattrs,
                stat fields, readdir, O_APPEND, O_DIRECTORY (as root)
  persist-set   chmod, chown, utimensat of DIR/persist-*; then remount, and
  persist-check check they were kept
  user-setup    (as root) files and directories with modes for:
  user          (as an unprivileged user, e.g. nobody) EACCES and EPERM
                from the permission checks; DIR may be "." (the caller
                cd's into a directory the user could not reach by path)
  readonly      DIR is a read-only tree holding a file and a directory:
                every call that would change something gives EROFS

Only the standard library; renameat2, utimensat (UTIME_NOW, UTIME_OMIT),
creat and fallocate go through ctypes to reach the system calls as a C
program would.
"""
import ctypes
import ctypes.util
import errno
import os
import stat
import sys
import time

AT_FDCWD = -100
RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT = 1, 2, 4
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


class timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _check(rc):
    if rc < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return rc


def renameat2(old, new, flags):
    libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                               ctypes.c_char_p, ctypes.c_uint]
    _check(libc.renameat2(AT_FDCWD, os.fsencode(old), AT_FDCWD, os.fsencode(new), flags))


def utimensat(path, atime, mtime):
    """atime, mtime: (sec, nsec), or UTIME_NOW / UTIME_OMIT."""
    ts = (timespec * 2)()
    for i, t in enumerate((atime, mtime)):
        ts[i] = timespec(0, t) if isinstance(t, int) else timespec(*t)
    _check(libc.utimensat(AT_FDCWD, os.fsencode(path), ts, 0))


def creat(path, mode):
    libc.creat.argtypes = [ctypes.c_char_p, ctypes.c_uint]
    return _check(libc.creat(os.fsencode(path), mode))


def fallocate(fd, off, length):
    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    _check(libc.fallocate(fd, 0, off, length))


# ---- helpers for case bodies ----

def put(path, data=b""):
    with open(path, "wb") as f:
        f.write(data)


def get(path):
    with open(path, "rb") as f:
        return f.read()


def err(fn, *args):
    """The checked call: "0" when it succeeds, else the errno's name."""
    try:
        fn(*args)
        return "0"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def open_close(path, flags, mode=0o644):
    os.close(os.open(path, flags, mode))


def mode_of(path):
    return "mode=%04o" % stat.S_IMODE(os.stat(path).st_mode)


def names(d):
    return ",".join(sorted(os.listdir(d))) or "(empty)"


def seq(*outcomes):
    """Several outcomes of one case as one string: "a;b"."""
    return ";".join(outcomes)


# ---- the table ----

CASES = {}          # phase -> [(id, what, linux outcome(s), fn)]


def case(phase, cid, what, linux):
    def reg(fn):
        CASES.setdefault(phase, []).append((cid, what, linux, fn))
        return fn
    return reg


# What lakemount gives instead of Linux's outcome (or a tuple of outcomes,
# when it depends on timing), and why; the man page's POSIX BEHAVIOUR
# section says the same.
DIFFERENCES = {
    "link.file": ("EPERM", "hard links are not supported: an S3 key has one name"),
    "symlink.create": ("EPERM", "symbolic links are not supported"),
    "mknod.fifo": ("EPERM", "FIFOs, sockets and devices cannot be created"),
    "mknod.sock": ("EPERM", "FIFOs, sockets and devices cannot be created"),
    "mknod.chr": ("EPERM", "FIFOs, sockets and devices cannot be created"),
    "rename.exchange": ("EINVAL", "RENAME_EXCHANGE is not supported"),
    "rename.whiteout": ("EINVAL", "RENAME_WHITEOUT is not supported"),
    "xattr.set_user": ("ENOTSUP", "user.* attributes cannot be set (S3 metadata is not an xattr store)"),
    "xattr.remove_user": ("ENOTSUP", "user.* attributes cannot be removed"),
    "fallocate.plain": ("ENOTSUP", "fallocate(2) is not supported (posix_fallocate(3) falls back to writes)"),
    "unlink.open_synced": (("fstat=ENOENT", "fstat=nlink0"),
                           "a file unlinked while open only for reading, with nothing left to "
                           "upload, is gone for fstat (ENOENT); reads of what is not cached fail"),
    "utimens.atime": ("atime=1500000000", "atime is not kept: it reads as mtime"),
    "utimens.nsec": ("nsec=0", "times are kept in whole seconds"),
    "stat.dir_nlink": ("nlink=2", "a directory's st_nlink is always 2 (subdirectories are not counted)"),
}


def P(d, *parts):
    return os.path.join(d, *parts)


# open(2)

@case("main", "open.excl_exists", "open(O_CREAT|O_EXCL) of an existing file", "EEXIST")
def _(d):
    put(P(d, "f"), b"x")
    return err(open_close, P(d, "f"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)


@case("main", "open.excl_new", "open(O_CREAT|O_EXCL) of a new name; then its size", "0;size=0")
def _(d):
    return seq(err(open_close, P(d, "f"), os.O_CREAT | os.O_EXCL | os.O_WRONLY),
               "size=%d" % os.stat(P(d, "f")).st_size)


@case("main", "open.enoent", "open(O_RDONLY) of a missing name", "ENOENT")
def _(d):
    return err(open_close, P(d, "missing"), os.O_RDONLY)


@case("main", "open.enoent_parent", "open(O_CREAT) in a missing directory", "ENOENT")
def _(d):
    return err(open_close, P(d, "missing", "f"), os.O_CREAT | os.O_WRONLY)


@case("main", "open.enotdir", "open of file/x, through a file", "ENOTDIR")
def _(d):
    put(P(d, "f"))
    return err(open_close, P(d, "f", "x"), os.O_RDONLY)


@case("main", "open.enotdir_creat", "open(O_CREAT) of file/x, through a file", "ENOTDIR")
def _(d):
    put(P(d, "f"))
    return err(open_close, P(d, "f", "x"), os.O_CREAT | os.O_WRONLY)


@case("main", "open.trailing_slash", "open of \"file/\"", "ENOTDIR")
def _(d):
    put(P(d, "f"))
    return err(open_close, P(d, "f") + "/", os.O_RDONLY)


@case("main", "open.eisdir_wronly", "open(O_WRONLY) of a directory", "EISDIR")
def _(d):
    os.mkdir(P(d, "s"))
    return err(open_close, P(d, "s"), os.O_WRONLY)


@case("main", "open.eisdir_rdwr", "open(O_RDWR) of a directory", "EISDIR")
def _(d):
    os.mkdir(P(d, "s"))
    return err(open_close, P(d, "s"), os.O_RDWR)


@case("main", "open.eisdir_creat", "open(O_CREAT|O_WRONLY) of a directory", "EISDIR")
def _(d):
    os.mkdir(P(d, "s"))
    return err(open_close, P(d, "s"), os.O_CREAT | os.O_WRONLY)


@case("main", "open.dir_rdonly", "open(O_RDONLY) of a directory", "0")
def _(d):
    os.mkdir(P(d, "s"))
    return err(open_close, P(d, "s"), os.O_RDONLY)


@case("main", "open.o_directory_file", "open(O_DIRECTORY) of a file", "ENOTDIR")
def _(d):
    put(P(d, "f"))
    return err(open_close, P(d, "f"), os.O_RDONLY | os.O_DIRECTORY)


@case("main", "open.o_trunc", "open(O_WRONLY|O_TRUNC) of a 100-byte file; then its size", "0;size=0")
def _(d):
    put(P(d, "f"), b"y" * 100)
    return seq(err(open_close, P(d, "f"), os.O_WRONLY | os.O_TRUNC),
               "size=%d" % os.stat(P(d, "f")).st_size)


@case("main", "open.o_trunc_rdonly", "open(O_RDONLY|O_TRUNC) of a file (Linux truncates)", "0;size=0")
def _(d):
    put(P(d, "f"), b"y" * 100)
    return seq(err(open_close, P(d, "f"), os.O_RDONLY | os.O_TRUNC),
               "size=%d" % os.stat(P(d, "f")).st_size)


@case("main", "open.creat_mode", "open(O_CREAT, 0640) with umask 0; then its mode", "mode=0640")
def _(d):
    old = os.umask(0)
    try:
        open_close(P(d, "f"), os.O_CREAT | os.O_WRONLY, 0o640)
    finally:
        os.umask(old)
    return mode_of(P(d, "f"))


@case("main", "open.umask", "open(O_CREAT, 0666) with umask 022; then its mode", "mode=0644")
def _(d):
    old = os.umask(0o022)
    try:
        open_close(P(d, "f"), os.O_CREAT | os.O_WRONLY, 0o666)
    finally:
        os.umask(old)
    return mode_of(P(d, "f"))


@case("main", "open.nametoolong", "open(O_CREAT) of a 256-byte name", "ENAMETOOLONG")
def _(d):
    return err(open_close, P(d, "n" * 256), os.O_CREAT | os.O_WRONLY)


@case("main", "open.o_append", "write() through O_APPEND after lseek(0): lands at the end",
      "content=abcde")
def _(d):
    put(P(d, "f"), b"abc")
    fd = os.open(P(d, "f"), os.O_WRONLY | os.O_APPEND)
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, b"de")
    finally:
        os.close(fd)
    return "content=" + get(P(d, "f")).decode()


@case("main", "open.o_append_two_fds", "two O_APPEND fds write in turn: nothing overwritten",
      "content=1a2b")
def _(d):
    put(P(d, "f"))
    a = os.open(P(d, "f"), os.O_WRONLY | os.O_APPEND)
    b = os.open(P(d, "f"), os.O_WRONLY | os.O_APPEND)
    try:
        for fd, s in ((a, b"1"), (b, b"a"), (a, b"2"), (b, b"b")):
            os.write(fd, s)
    finally:
        os.close(a)
        os.close(b)
    return "content=" + get(P(d, "f")).decode()


@case("main", "creat.new", "creat() of a new name; then its size", "0;size=0")
def _(d):
    return seq(err(lambda: os.close(creat(P(d, "f"), 0o644))), "size=%d" % os.stat(P(d, "f")).st_size)


@case("main", "creat.existing", "creat() of a 100-byte file truncates it", "0;size=0")
def _(d):
    put(P(d, "f"), b"z" * 100)
    return seq(err(lambda: os.close(creat(P(d, "f"), 0o644))), "size=%d" % os.stat(P(d, "f")).st_size)


@case("main", "write.read_other_fd", "bytes written on one fd read back on another at once",
      "data=hello")
def _(d):
    fd = os.open(P(d, "f"), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        os.write(fd, b"hello")
        return "data=" + get(P(d, "f")).decode()
    finally:
        os.close(fd)


# unlink(2)

@case("main", "unlink.file", "unlink() of a file; then stat of it", "0;ENOENT")
def _(d):
    put(P(d, "f"), b"x")
    return seq(err(os.unlink, P(d, "f")), err(os.stat, P(d, "f")))


@case("main", "unlink.enoent", "unlink() of a missing name", "ENOENT")
def _(d):
    return err(os.unlink, P(d, "missing"))


@case("main", "unlink.dir", "unlink() of a directory", "EISDIR")
def _(d):
    os.mkdir(P(d, "s"))
    return err(os.unlink, P(d, "s"))


@case("main", "unlink.enotdir", "unlink() of file/x", "ENOTDIR")
def _(d):
    put(P(d, "f"))
    return err(os.unlink, P(d, "f", "x"))


@case("main", "unlink.open_file", "a file unlinked while open still reads through its fd",
      "0;data=keep")
def _(d):
    put(P(d, "f"), b"keep")
    fd = os.open(P(d, "f"), os.O_RDONLY)
    try:
        r = err(os.unlink, P(d, "f"))
        return seq(r, "data=" + os.pread(fd, 100, 0).decode())
    finally:
        os.close(fd)


@case("main", "unlink.open_synced", "fstat of a file fsync'd, closed, opened again and unlinked",
      "fstat=nlink0")
def _(d):
    fd = os.open(P(d, "f"), os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, b"sync")
    os.fsync(fd)
    os.close(fd)
    time.sleep(0.5)
    fd = os.open(P(d, "f"), os.O_RDONLY)
    try:
        os.unlink(P(d, "f"))
        r = err(os.fstat, fd)
        return "fstat=" + (r if r != "0" else "nlink%d" % os.fstat(fd).st_nlink)
    finally:
        os.close(fd)


# rename(2), renameat2(2)

@case("main", "rename.file_over_file", "rename(a, b) of two files: b has a's bytes, a is gone",
      "0;b=A;a=ENOENT")
def _(d):
    put(P(d, "a"), b"A")
    put(P(d, "b"), b"B")
    return seq(err(os.rename, P(d, "a"), P(d, "b")), "b=" + get(P(d, "b")).decode(),
               "a=" + err(os.stat, P(d, "a")))


@case("main", "rename.file_over_dir", "rename(file, dir)", "EISDIR")
def _(d):
    put(P(d, "f"))
    os.mkdir(P(d, "s"))
    return err(os.rename, P(d, "f"), P(d, "s"))


@case("main", "rename.dir_over_file", "rename(dir, file)", "ENOTDIR")
def _(d):
    put(P(d, "f"))
    os.mkdir(P(d, "s"))
    return err(os.rename, P(d, "s"), P(d, "f"))


@case("main", "rename.dir_over_nonempty", "rename(dir, non-empty dir)", "ENOTEMPTY")
def _(d):
    os.mkdir(P(d, "s"))
    os.mkdir(P(d, "t"))
    put(P(d, "t", "f"))
    return err(os.rename, P(d, "s"), P(d, "t"))


@case("main", "rename.dir_over_empty", "rename(dir with a file, empty dir): the file moves",
      "0;t=f;s=ENOENT")
def _(d):
    os.mkdir(P(d, "s"))
    put(P(d, "s", "f"), b"1")
    os.mkdir(P(d, "t"))
    return seq(err(os.rename, P(d, "s"), P(d, "t")), "t=" + names(P(d, "t")),
               "s=" + err(os.stat, P(d, "s")))


@case("main", "rename.dir_with_files", "rename of a directory of 3 files and a subdirectory",
      "0;new=a,b,c,sub;sub=x;old=ENOENT")
def _(d):
    os.mkdir(P(d, "s"))
    for n in "abc":
        put(P(d, "s", n), n.encode())
    os.mkdir(P(d, "s", "sub"))
    put(P(d, "s", "sub", "x"), b"x")
    return seq(err(os.rename, P(d, "s"), P(d, "t")), "new=" + names(P(d, "t")),
               "sub=" + names(P(d, "t", "sub")), "old=" + err(os.stat, P(d, "s")))


@case("main", "rename.into_own_subdir", "rename(dir, dir/sub/x)", "EINVAL")
def _(d):
    os.makedirs(P(d, "s", "sub"))
    return err(os.rename, P(d, "s"), P(d, "s", "sub", "x"))


@case("main", "rename.same_name", "rename(f, f): a no-op, the file is still there", "0;data=same")
def _(d):
    put(P(d, "f"), b"same")
    return seq(err(os.rename, P(d, "f"), P(d, "f")), "data=" + get(P(d, "f")).decode())


@case("main", "rename.enoent", "rename of a missing name", "ENOENT")
def _(d):
    return err(os.rename, P(d, "missing"), P(d, "x"))


@case("main", "rename.enoent_target_dir", "rename(f, missing/x)", "ENOENT")
def _(d):
    put(P(d, "f"))
    return err(os.rename, P(d, "f"), P(d, "missing", "x"))


@case("main", "rename.dot", "rename(dir/., x)", "EBUSY")
def _(d):
    os.mkdir(P(d, "s"))
    return err(os.rename, P(d, "s") + "/.", P(d, "x"))


@case("main", "rename.keeps_ino", "st_ino is the same after a rename", "same")
def _(d):
    put(P(d, "a"), b"1")
    ino = os.stat(P(d, "a")).st_ino
    os.rename(P(d, "a"), P(d, "b"))
    return "same" if os.stat(P(d, "b")).st_ino == ino else "changed"


@case("main", "rename.open_fd", "a file renamed while open: writes on its fd land in the new name",
      "0;b=12")
def _(d):
    fd = os.open(P(d, "a"), os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        os.write(fd, b"1")
        r = err(os.rename, P(d, "a"), P(d, "b"))
        os.write(fd, b"2")
    finally:
        os.close(fd)
    return seq(r, "b=" + get(P(d, "b")).decode())


@case("main", "rename.noreplace_exists", "renameat2(RENAME_NOREPLACE) onto an existing file",
      "EEXIST;b=B")
def _(d):
    put(P(d, "a"), b"A")
    put(P(d, "b"), b"B")
    return seq(err(renameat2, P(d, "a"), P(d, "b"), RENAME_NOREPLACE), "b=" + get(P(d, "b")).decode())


@case("main", "rename.noreplace_new", "renameat2(RENAME_NOREPLACE) to a new name", "0;b=A")
def _(d):
    put(P(d, "a"), b"A")
    return seq(err(renameat2, P(d, "a"), P(d, "b"), RENAME_NOREPLACE), "b=" + get(P(d, "b")).decode())


@case("main", "rename.exchange", "renameat2(RENAME_EXCHANGE) of two files", "0")
def _(d):
    put(P(d, "a"), b"A")
    put(P(d, "b"), b"B")
    return err(renameat2, P(d, "a"), P(d, "b"), RENAME_EXCHANGE)


@case("main", "rename.whiteout", "renameat2(RENAME_WHITEOUT) of a file (as root)", "0")
def _(d):
    put(P(d, "a"), b"A")
    return err(renameat2, P(d, "a"), P(d, "b"), RENAME_WHITEOUT)


# mkdir(2), rmdir(2)

@case("main", "mkdir.new", "mkdir(0750) with umask 0; then its mode", "0;mode=0750")
def _(d):
    old = os.umask(0)
    try:
        r = err(os.mkdir, P(d, "s"), 0o750)
    finally:
        os.umask(old)
    return seq(r, mode_of(P(d, "s")))


@case("main", "mkdir.exists_dir", "mkdir of an existing directory", "EEXIST")
def _(d):
    os.mkdir(P(d, "s"))
    return err(os.mkdir, P(d, "s"))


@case("main", "mkdir.exists_file", "mkdir of an existing file's name", "EEXIST")
def _(d):
    put(P(d, "f"))
    return err(os.mkdir, P(d, "f"))


@case("main", "mkdir.enoent", "mkdir in a missing directory", "ENOENT")
def _(d):
    return err(os.mkdir, P(d, "missing", "s"))


@case("main", "mkdir.enotdir", "mkdir of file/x", "ENOTDIR")
def _(d):
    put(P(d, "f"))
    return err(os.mkdir, P(d, "f", "x"))


@case("main", "rmdir.empty", "rmdir of an empty directory; then stat of it", "0;ENOENT")
def _(d):
    os.mkdir(P(d, "s"))
    return seq(err(os.rmdir, P(d, "s")), err(os.stat, P(d, "s")))


@case("main", "rmdir.notempty", "rmdir of a directory holding a file", "ENOTEMPTY")
def _(d):
    os.mkdir(P(d, "s"))
    put(P(d, "s", "f"))
    return err(os.rmdir, P(d, "s"))


@case("main", "rmdir.notempty_subdir", "rmdir of a directory holding an empty directory", "ENOTEMPTY")
def _(d):
    os.makedirs(P(d, "s", "t"))
    return err(os.rmdir, P(d, "s"))


@case("main", "rmdir.file", "rmdir of a file", "ENOTDIR")
def _(d):
    put(P(d, "f"))
    return err(os.rmdir, P(d, "f"))


@case("main", "rmdir.enoent", "rmdir of a missing name", "ENOENT")
def _(d):
    return err(os.rmdir, P(d, "missing"))


@case("main", "rmdir.dot", "rmdir of dir/.", "EINVAL")
def _(d):
    os.mkdir(P(d, "s"))
    return err(os.rmdir, P(d, "s") + "/.")


@case("main", "rmdir.dotdot", "rmdir of dir/..", "ENOTEMPTY")
def _(d):
    os.mkdir(P(d, "s"))
    return err(os.rmdir, P(d, "s") + "/..")


# truncate(2), ftruncate(2), fallocate(2)

@case("main", "truncate.grow", "truncate(\"abc\", 10): the new bytes read as zeroes",
      "0;data=61626300000000000000")
def _(d):
    put(P(d, "f"), b"abc")
    return seq(err(os.truncate, P(d, "f"), 10), "data=" + get(P(d, "f")).hex())


@case("main", "truncate.shrink", "truncate of 10 bytes to 3", "0;data=012")
def _(d):
    put(P(d, "f"), b"0123456789")
    return seq(err(os.truncate, P(d, "f"), 3), "data=" + get(P(d, "f")).decode())


@case("main", "truncate.shrink_grow", "truncate to 2, then to 5: the old bytes do not come back",
      "data=0102000000")
def _(d):
    put(P(d, "f"), b"\x01\x02\x03\x04\x05")
    os.truncate(P(d, "f"), 2)
    os.truncate(P(d, "f"), 5)
    return "data=" + get(P(d, "f")).hex()


@case("main", "truncate.dir", "truncate of a directory", "EISDIR")
def _(d):
    os.mkdir(P(d, "s"))
    return err(os.truncate, P(d, "s"), 0)


@case("main", "truncate.negative", "truncate to -1", "EINVAL")
def _(d):
    put(P(d, "f"), b"abc")
    return err(os.truncate, P(d, "f"), -1)


@case("main", "truncate.enoent", "truncate of a missing name", "ENOENT")
def _(d):
    return err(os.truncate, P(d, "missing"), 0)


@case("main", "ftruncate.grow_shrink", "ftruncate of an open fd up to 8 and down to 2, read on the fd",
      "0;0;data=6162")
def _(d):
    fd = os.open(P(d, "f"), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        os.write(fd, b"abcd")
        a = err(os.ftruncate, fd, 8)
        b = err(os.ftruncate, fd, 2)
        return seq(a, b, "data=" + os.pread(fd, 100, 0).hex())
    finally:
        os.close(fd)


@case("main", "ftruncate.rdonly", "ftruncate of an fd open O_RDONLY", "EINVAL")
def _(d):
    put(P(d, "f"), b"abc")
    fd = os.open(P(d, "f"), os.O_RDONLY)
    try:
        return err(os.ftruncate, fd, 1)
    finally:
        os.close(fd)


@case("main", "ftruncate.negative", "ftruncate to -1", "EINVAL")
def _(d):
    fd = os.open(P(d, "f"), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        return err(os.ftruncate, fd, -1)
    finally:
        os.close(fd)


@case("main", "fallocate.plain", "fallocate(fd, 0, 0, 4096)", "0")
def _(d):
    fd = os.open(P(d, "f"), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        return err(fallocate, fd, 0, 4096)
    finally:
        os.close(fd)


@case("main", "posix_fallocate", "posix_fallocate(fd, 0, 4096); then the size", "0;size=4096")
def _(d):
    fd = os.open(P(d, "f"), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        return seq(err(os.posix_fallocate, fd, 0, 4096), "size=%d" % os.fstat(fd).st_size)
    finally:
        os.close(fd)


# chmod(2), chown(2) as root, utimensat(2)

@case("main", "chmod.file", "chmod 0604 of a file", "0;mode=0604")
def _(d):
    put(P(d, "f"))
    return seq(err(os.chmod, P(d, "f"), 0o604), mode_of(P(d, "f")))


@case("main", "chmod.zero", "chmod 000 of a file (root still reads it)", "0;mode=0000;data=x")
def _(d):
    put(P(d, "f"), b"x")
    return seq(err(os.chmod, P(d, "f"), 0), mode_of(P(d, "f")), "data=" + get(P(d, "f")).decode())


@case("main", "chmod.setuid", "chmod 04755 of a file", "0;mode=4755")
def _(d):
    put(P(d, "f"))
    return seq(err(os.chmod, P(d, "f"), 0o4755), mode_of(P(d, "f")))


@case("main", "chmod.dir", "chmod 0700 of a directory", "0;mode=0700")
def _(d):
    os.mkdir(P(d, "s"))
    return seq(err(os.chmod, P(d, "s"), 0o700), mode_of(P(d, "s")))


@case("main", "chmod.fd", "fchmod 0600 of a file open for writing, then close", "0;mode=0600")
def _(d):
    fd = os.open(P(d, "f"), os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        os.write(fd, b"abc")
        r = err(os.fchmod, fd, 0o600)
    finally:
        os.close(fd)
    return seq(r, mode_of(P(d, "f")))


@case("main", "chmod.enoent", "chmod of a missing name", "ENOENT")
def _(d):
    return err(os.chmod, P(d, "missing"), 0o644)


@case("main", "chown.file", "chown 1234:5678 of a file (as root)", "0;owner=1234:5678")
def _(d):
    put(P(d, "f"))
    st = lambda: os.stat(P(d, "f"))
    r = err(os.chown, P(d, "f"), 1234, 5678)
    return seq(r, "owner=%d:%d" % (st().st_uid, st().st_gid))


@case("main", "chown.group_only", "chown -1:99 keeps the owner", "0;owner=0:99")
def _(d):
    put(P(d, "f"))
    os.chown(P(d, "f"), 0, 0)
    r = err(os.chown, P(d, "f"), -1, 99)
    s = os.stat(P(d, "f"))
    return seq(r, "owner=%d:%d" % (s.st_uid, s.st_gid))


@case("main", "chown.dir", "chown 1234:5678 of a directory", "0;owner=1234:5678")
def _(d):
    os.mkdir(P(d, "s"))
    r = err(os.chown, P(d, "s"), 1234, 5678)
    s = os.stat(P(d, "s"))
    return seq(r, "owner=%d:%d" % (s.st_uid, s.st_gid))


@case("main", "chown.clears_setuid", "chown of a 04755 file clears the set-user-ID bit",
      "0;mode=0755")
def _(d):
    put(P(d, "f"))
    os.chmod(P(d, "f"), 0o4755)
    return seq(err(os.chown, P(d, "f"), 1234, 1234), mode_of(P(d, "f")))


@case("main", "utimens.set", "utimensat(atime 1000000000, mtime 1500000000); then mtime",
      "0;mtime=1500000000")
def _(d):
    put(P(d, "f"))
    r = err(utimensat, P(d, "f"), (1000000000, 0), (1500000000, 0))
    return seq(r, "mtime=%d" % os.stat(P(d, "f")).st_mtime)


@case("main", "utimens.atime", "utimensat(atime 1000000000, mtime 1500000000); then atime",
      "atime=1000000000")
def _(d):
    put(P(d, "f"))
    utimensat(P(d, "f"), (1000000000, 0), (1500000000, 0))
    return "atime=%d" % os.stat(P(d, "f")).st_atime


@case("main", "utimens.nsec", "utimensat(mtime 1500000000.123456789); then its nanoseconds",
      "nsec=123456789")
def _(d):
    put(P(d, "f"))
    utimensat(P(d, "f"), UTIME_OMIT, (1500000000, 123456789))
    return "nsec=%d" % (os.stat(P(d, "f")).st_mtime_ns % 1000000000)


@case("main", "utimens.now", "utimensat(UTIME_NOW, UTIME_NOW) of a file dated 2001", "0;mtime=now")
def _(d):
    put(P(d, "f"))
    utimensat(P(d, "f"), (1000000000, 0), (1000000000, 0))
    t0 = time.time()
    r = err(utimensat, P(d, "f"), UTIME_NOW, UTIME_NOW)
    m = os.stat(P(d, "f")).st_mtime
    return seq(r, "mtime=now" if t0 - 2 <= m <= time.time() + 2 else "mtime=%d" % m)


@case("main", "utimens.omit_mtime", "utimensat(UTIME_NOW, UTIME_OMIT) leaves mtime alone",
      "0;mtime=1500000000")
def _(d):
    put(P(d, "f"))
    utimensat(P(d, "f"), (1500000000, 0), (1500000000, 0))
    r = err(utimensat, P(d, "f"), UTIME_NOW, UTIME_OMIT)
    return seq(r, "mtime=%d" % os.stat(P(d, "f")).st_mtime)


@case("main", "utimens.omit_both", "utimensat(UTIME_OMIT, UTIME_OMIT) changes nothing",
      "0;mtime=1500000000")
def _(d):
    put(P(d, "f"))
    utimensat(P(d, "f"), (1500000000, 0), (1500000000, 0))
    r = err(utimensat, P(d, "f"), UTIME_OMIT, UTIME_OMIT)
    return seq(r, "mtime=%d" % os.stat(P(d, "f")).st_mtime)


@case("main", "utimens.dir", "utimensat of a directory's mtime", "0;mtime=1500000000")
def _(d):
    os.mkdir(P(d, "s"))
    r = err(utimensat, P(d, "s"), UTIME_OMIT, (1500000000, 0))
    return seq(r, "mtime=%d" % os.stat(P(d, "s")).st_mtime)


@case("main", "utimens.enoent", "utimensat of a missing name", "ENOENT")
def _(d):
    return err(utimensat, P(d, "missing"), UTIME_NOW, UTIME_NOW)


@case("main", "write.mtime", "a write moves the mtime of a file dated 2001 to now", "mtime=now")
def _(d):
    put(P(d, "f"), b"a")
    utimensat(P(d, "f"), (1000000000, 0), (1000000000, 0))
    t0 = time.time()
    with open(P(d, "f"), "ab") as f:
        f.write(b"b")
    m = os.stat(P(d, "f")).st_mtime
    return "mtime=now" if t0 - 2 <= m <= time.time() + 2 else "mtime=%d" % m


# link(2), symlink(2), mknod(2), xattrs

@case("main", "link.file", "link(file, new name)", "0")
def _(d):
    put(P(d, "f"))
    return err(os.link, P(d, "f"), P(d, "g"))


@case("main", "link.dir", "link(dir, new name)", "EPERM")
def _(d):
    os.mkdir(P(d, "s"))
    return err(os.link, P(d, "s"), P(d, "t"))


@case("main", "symlink.create", "symlink(target, new name)", "0")
def _(d):
    return err(os.symlink, "target", P(d, "l"))


@case("main", "readlink.file", "readlink of a regular file", "EINVAL")
def _(d):
    put(P(d, "f"))
    return err(os.readlink, P(d, "f"))


@case("main", "mknod.reg", "mknod(S_IFREG); then the file's size", "0;size=0")
def _(d):
    return seq(err(os.mknod, P(d, "f"), stat.S_IFREG | 0o644), "size=%d" % os.stat(P(d, "f")).st_size)


@case("main", "mknod.fifo", "mkfifo", "0")
def _(d):
    return err(os.mkfifo, P(d, "p"))


@case("main", "mknod.sock", "mknod(S_IFSOCK)", "0")
def _(d):
    return err(os.mknod, P(d, "s"), stat.S_IFSOCK | 0o644)


@case("main", "mknod.chr", "mknod(S_IFCHR, 1:3) as root", "0")
def _(d):
    return err(os.mknod, P(d, "c"), stat.S_IFCHR | 0o644, os.makedev(1, 3))


@case("main", "mknod.exists", "mknod(S_IFREG) of an existing name", "EEXIST")
def _(d):
    put(P(d, "f"))
    return err(os.mknod, P(d, "f"), stat.S_IFREG | 0o644)


@case("main", "xattr.set_user", "setxattr(user.test)", ("0", "ENOTSUP"))
def _(d):
    put(P(d, "f"))
    return err(os.setxattr, P(d, "f"), "user.test", b"v")


@case("main", "xattr.remove_user", "removexattr(user.test) of a file without it", ("ENODATA", "ENOTSUP"))
def _(d):
    put(P(d, "f"))
    return err(os.removexattr, P(d, "f"), "user.test")


@case("main", "xattr.get_missing", "getxattr(user.missing)", "ENODATA")
def _(d):
    put(P(d, "f"))
    return err(os.getxattr, P(d, "f"), "user.missing")


# stat fields, readdir

@case("main", "stat.file", "stat of a 5000-byte file: size, nlink, blocks plausible",
      "size=5000;nlink=1;blocks=ok")
def _(d):
    put(P(d, "f"), b"s" * 5000)
    s = os.stat(P(d, "f"))
    ok = 5000 <= s.st_blocks * 512 <= 5000 + max(s.st_blksize, 65536)
    return seq("size=%d" % s.st_size, "nlink=%d" % s.st_nlink,
               "blocks=" + ("ok" if ok else "%d" % s.st_blocks))


@case("main", "stat.empty", "stat of an empty file: size 0, 0 blocks, a regular file",
      "size=0;blocks=0;reg")
def _(d):
    put(P(d, "f"))
    s = os.stat(P(d, "f"))
    return seq("size=%d" % s.st_size, "blocks=%d" % s.st_blocks,
               "reg" if stat.S_ISREG(s.st_mode) else "mode=%o" % s.st_mode)


@case("main", "stat.sparse", "stat of a file grown by truncate to 1 MiB: blocks no more than size",
      "size=1048576;blocks=ok")
def _(d):
    put(P(d, "f"))
    os.truncate(P(d, "f"), 1 << 20)
    s = os.stat(P(d, "f"))
    return seq("size=%d" % s.st_size, "blocks=" + ("ok" if s.st_blocks * 512 <= s.st_size else
                                                    "%d" % s.st_blocks))


@case("main", "stat.dir", "stat of a directory: a directory, nlink >= 2, blksize > 0", "dir;nlink>=2;blksize>0")
def _(d):
    os.mkdir(P(d, "s"))
    s = os.stat(P(d, "s"))
    return seq("dir" if stat.S_ISDIR(s.st_mode) else "mode=%o" % s.st_mode,
               "nlink>=2" if s.st_nlink >= 2 else "nlink=%d" % s.st_nlink,
               "blksize>0" if s.st_blksize > 0 else "blksize=0")


@case("main", "stat.dir_nlink", "st_nlink of a directory holding two directories", "nlink=4")
def _(d):
    os.makedirs(P(d, "s", "a"))
    os.makedirs(P(d, "s", "b"))
    return "nlink=%d" % os.stat(P(d, "s")).st_nlink


@case("main", "stat.ino_distinct", "two files have different st_ino", "distinct")
def _(d):
    put(P(d, "a"))
    put(P(d, "b"))
    return "distinct" if os.stat(P(d, "a")).st_ino != os.stat(P(d, "b")).st_ino else "same"


@case("main", "fstat.unlinked", "fstat of an open fd after unlink: nlink 0, size kept",
      "nlink=0;size=4")
def _(d):
    put(P(d, "f"), b"abcd")
    fd = os.open(P(d, "f"), os.O_RDONLY)
    try:
        os.unlink(P(d, "f"))
        s = os.fstat(fd)
        return seq("nlink=%d" % s.st_nlink, "size=%d" % s.st_size)
    finally:
        os.close(fd)


@case("main", "readdir.created", "readdir after creating files a, b and directory c", "a,b,c")
def _(d):
    put(P(d, "a"))
    put(P(d, "b"))
    os.mkdir(P(d, "c"))
    return names(d)


@case("main", "readdir.removed", "readdir after removing file b and directory d", "a,c")
def _(d):
    for n in "abc":
        put(P(d, n))
    os.mkdir(P(d, "d"))
    os.unlink(P(d, "b"))
    os.rmdir(P(d, "d"))
    return names(d)


@case("main", "readdir.renamed", "readdir after renaming a to z (and a directory m to n)", "b,n,z")
def _(d):
    put(P(d, "a"))
    put(P(d, "b"))
    os.mkdir(P(d, "m"))
    os.rename(P(d, "a"), P(d, "z"))
    os.rename(P(d, "m"), P(d, "n"))
    return names(d)


@case("main", "readdir.many", "readdir of 150 files (several getdents calls)", "n=150;all")
def _(d):
    want = {"file-%03d" % i for i in range(150)}
    for n in want:
        put(P(d, n))
    got = set(os.listdir(d))
    return seq("n=%d" % len(got), "all" if got == want else "differ")


@case("main", "readdir.dots", "getdents of a directory lists . and ..", ". ..")
def _(d):
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        buf = ctypes.create_string_buffer(32768)
        libc.syscall.restype = ctypes.c_long
        n = libc.syscall(217, fd, buf, 32768)   # getdents64 on x86-64
        if n < 0:
            raise OSError(ctypes.get_errno(), "getdents64")
        out, pos = [], 0
        while pos < n:
            reclen = int.from_bytes(buf.raw[pos + 16:pos + 18], "little")
            out.append(buf.raw[pos + 19:pos + reclen].split(b"\0")[0].decode())
            pos += reclen
        return " ".join(x for x in sorted(out) if x in (".", ".."))
    finally:
        os.close(fd)


@case("main", "fsync.dir", "fsync of a directory fd", "0")
def _(d):
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return err(os.fsync, fd)
    finally:
        os.close(fd)


# ---- kept across a remount ----

@case("persist-set", "persist.set", "chmod 0640, chown 1234:5678, mtime 1234567890 of a file; "
      "chmod 0711, mtime 1111111111 of a directory", "0;0;0;0;0")
def _(d):
    top = os.path.dirname(d)
    f, s = P(top, "persist-file"), P(top, "persist-dir")
    put(f, b"kept\n")
    os.mkdir(s)
    return seq(err(os.chmod, f, 0o640), err(os.chown, f, 1234, 5678),
               err(utimensat, f, UTIME_OMIT, (1234567890, 0)),
               err(os.chmod, s, 0o711), err(utimensat, s, UTIME_OMIT, (1111111111, 0)))


@case("persist-check", "persist.file", "after the remount: the file's mode, owner, mtime, bytes",
      "mode=0640;owner=1234:5678;mtime=1234567890;data=kept")
def _(d):
    f = P(os.path.dirname(d), "persist-file")
    s = os.stat(f)
    return seq(mode_of(f), "owner=%d:%d" % (s.st_uid, s.st_gid), "mtime=%d" % s.st_mtime,
               "data=" + get(f).decode().strip())


@case("persist-check", "persist.dir", "after the remount: the directory's mode and mtime",
      "mode=0711;mtime=1111111111")
def _(d):
    f = P(os.path.dirname(d), "persist-dir")
    return seq(mode_of(f), "mtime=%d" % os.stat(f).st_mtime)


# ---- as an unprivileged user ----
# user-setup (root) makes, in DIR: secret (0600), pub (0644), closed/ (0755,
# root's, holding f), private/ (0700, holding f), open/ (0777).

@case("user-setup", "user.setup", "files and directories with modes, owned by root", "0")
def _(d):
    top = os.path.dirname(d)
    put(P(top, "secret"), b"secret")
    os.chmod(P(top, "secret"), 0o600)
    put(P(top, "pub"), b"pub")
    os.chmod(P(top, "pub"), 0o644)
    for n, m in (("closed", 0o755), ("private", 0o700), ("open", 0o777)):
        os.mkdir(P(top, n))
        os.chmod(P(top, n), m)
    put(P(top, "closed", "f"), b"f")
    put(P(top, "private", "f"), b"f")
    os.chown(top, 0, 0)
    os.chmod(top, 0o755)
    return "0"


def _user_cases():
    """(id, what, linux outcome, fn of the top directory)"""
    w, r = os.O_WRONLY, os.O_RDONLY
    return [
        ("user.read_0600", "open(O_RDONLY) of root's 0600 file", "EACCES",
         lambda t: err(open_close, P(t, "secret"), r)),
        ("user.access_0600", "access(R_OK) of root's 0600 file", "EACCES",
         lambda t: "0" if os.access(P(t, "secret"), os.R_OK) else "EACCES"),
        ("user.read_0644", "open(O_RDONLY) of root's 0644 file", "0",
         lambda t: err(open_close, P(t, "pub"), r)),
        ("user.write_0644", "open(O_WRONLY) of root's 0644 file", "EACCES",
         lambda t: err(open_close, P(t, "pub"), w)),
        ("user.truncate_0644", "truncate of root's 0644 file", "EACCES",
         lambda t: err(os.truncate, P(t, "pub"), 0)),
        ("user.chmod_other", "chmod of root's file", "EPERM",
         lambda t: err(os.chmod, P(t, "pub"), 0o666)),
        ("user.chown_other", "chown of root's file to the user", "EPERM",
         lambda t: err(os.chown, P(t, "pub"), os.getuid(), -1)),
        ("user.utime_other", "utimensat(explicit times) of root's file", "EPERM",
         lambda t: err(utimensat, P(t, "pub"), (1, 0), (1, 0))),
        ("user.utime_now_other", "utimensat(UTIME_NOW) of root's 0644 file", "EACCES",
         lambda t: err(utimensat, P(t, "pub"), UTIME_NOW, UTIME_NOW)),
        ("user.create_closed", "create in root's 0755 directory", "EACCES",
         lambda t: err(open_close, P(t, "closed", "new"), os.O_CREAT | w)),
        ("user.mkdir_closed", "mkdir in root's 0755 directory", "EACCES",
         lambda t: err(os.mkdir, P(t, "closed", "new"))),
        ("user.unlink_closed", "unlink in root's 0755 directory", "EACCES",
         lambda t: err(os.unlink, P(t, "closed", "f"))),
        ("user.rename_closed", "rename in root's 0755 directory", "EACCES",
         lambda t: err(os.rename, P(t, "closed", "f"), P(t, "closed", "g"))),
        ("user.list_private", "readdir of root's 0700 directory", "EACCES",
         lambda t: err(os.listdir, P(t, "private"))),
        ("user.stat_private", "stat of a file in root's 0700 directory", "EACCES",
         lambda t: err(os.stat, P(t, "private", "f"))),
        ("user.create_open", "create in a 0777 directory; the file is the user's",
         "0;owner=65534",
         lambda t: seq(err(open_close, P(t, "open", "mine"), os.O_CREAT | w),
                       "owner=%d" % os.stat(P(t, "open", "mine")).st_uid)),
        ("user.chmod_own", "chmod 0600 of the user's own file", "0;mode=0600",
         lambda t: seq(err(os.chmod, P(t, "open", "mine"), 0o600), mode_of(P(t, "open", "mine")))),
        ("user.chown_own", "chown of the user's own file to root", "EPERM",
         lambda t: err(os.chown, P(t, "open", "mine"), 0, -1)),
        ("user.utime_own", "utimensat(explicit times) of the user's own file", "0",
         lambda t: err(utimensat, P(t, "open", "mine"), (1, 0), (1, 0))),
    ]


for _cid, _what, _linux, _fn in _user_cases():
    case("user", _cid, _what, _linux)(_fn)


# ---- a read-only tree ----

def _ro_targets(top):
    """A file and a directory somewhere in the read-only tree top."""
    f = s = None
    for root, dirs, files in os.walk(top):
        if files and not f:
            f = P(root, sorted(files)[0])
        if dirs and not s:
            s = P(root, sorted(dirs)[0])
        if f and s:
            return f, s
    raise SystemExit("posix.py: readonly: %s holds no file and directory" % top)


def _ro_cases():
    def fd_call(path, flags, fn):
        fd = os.open(path, flags)
        try:
            fn(fd)
        finally:
            os.close(fd)
    w = os.O_WRONLY
    return [
        ("ro.read", "read of a file", "0", lambda f, s: err(get, f)),
        ("ro.create", "create of a new file", "EROFS",
         lambda f, s: err(open_close, P(s, "posix-new"), os.O_CREAT | w)),
        ("ro.open_write", "open(O_WRONLY) of a file", "EROFS", lambda f, s: err(open_close, f, w)),
        ("ro.open_rdwr", "open(O_RDWR) of a file", "EROFS", lambda f, s: err(open_close, f, os.O_RDWR)),
        ("ro.open_append", "open(O_WRONLY|O_APPEND) of a file", "EROFS",
         lambda f, s: err(open_close, f, w | os.O_APPEND)),
        ("ro.open_trunc", "open(O_RDONLY|O_TRUNC) of a file", "EROFS",
         lambda f, s: err(open_close, f, os.O_RDONLY | os.O_TRUNC)),
        ("ro.unlink", "unlink of a file", "EROFS", lambda f, s: err(os.unlink, f)),
        ("ro.rmdir", "rmdir of a directory", "EROFS", lambda f, s: err(os.rmdir, s)),
        ("ro.mkdir", "mkdir of a new name", "EROFS", lambda f, s: err(os.mkdir, P(s, "posix-new"))),
        ("ro.rename_file", "rename of a file beside itself", "EROFS",
         lambda f, s: err(os.rename, f, f + ".posix-moved")),
        ("ro.rename_dir", "rename of a directory", "EROFS",
         lambda f, s: err(os.rename, s, s + ".posix-moved")),
        ("ro.truncate", "truncate of a file", "EROFS", lambda f, s: err(os.truncate, f, 0)),
        ("ro.chmod", "chmod of a file", "EROFS", lambda f, s: err(os.chmod, f, 0o600)),
        ("ro.chmod_dir", "chmod of a directory", "EROFS", lambda f, s: err(os.chmod, s, 0o700)),
        ("ro.chown", "chown of a file", "EROFS", lambda f, s: err(os.chown, f, 1, 1)),
        ("ro.utime", "utimensat(explicit times) of a file", "EROFS",
         lambda f, s: err(utimensat, f, (1, 0), (1, 0))),
        ("ro.utime_now", "utimensat(UTIME_NOW) of a file", "EROFS",
         lambda f, s: err(utimensat, f, UTIME_NOW, UTIME_NOW)),
        ("ro.link", "link of a file", "EROFS", lambda f, s: err(os.link, f, P(s, "posix-link"))),
        ("ro.symlink", "symlink in a directory", "EROFS",
         lambda f, s: err(os.symlink, "x", P(s, "posix-sym"))),
        ("ro.mknod", "mkfifo in a directory", "EROFS", lambda f, s: err(os.mkfifo, P(s, "posix-fifo"))),
        ("ro.setxattr", "setxattr(user.test) of a file", "EROFS",
         lambda f, s: err(os.setxattr, f, "user.test", b"v")),
        ("ro.removexattr", "removexattr(user.test) of a file", "EROFS",
         lambda f, s: err(os.removexattr, f, "user.test")),
        ("ro.ftruncate", "ftruncate of an fd open O_RDONLY", "EINVAL",
         lambda f, s: err(fd_call, f, os.O_RDONLY, lambda fd: os.ftruncate(fd, 0))),
    ]


for _cid, _what, _linux, _fn in _ro_cases():
    case("readonly", _cid, _what, _linux)((lambda fn: lambda d: fn(*_ro_targets(d)))(_fn))


# ---- the runner ----

def main(argv):
    fs = "linux"
    if len(argv) >= 2 and argv[0] == "--fs":
        fs, argv = argv[1], argv[2:]
    if fs not in ("linux", "lakemount") or len(argv) != 2 or argv[0] not in CASES:
        sys.stderr.write("usage: posix.py [--fs linux|lakemount] %s DIR\n" % "|".join(CASES))
        return 2
    phase, top = argv
    npass = nfail = ndiff = 0
    for cid, what, linux, fn in CASES[phase]:
        want = linux if isinstance(linux, tuple) else (linux,)
        note = ""
        if fs == "lakemount" and cid in DIFFERENCES:
            want, note = DIFFERENCES[cid]
            want = want if isinstance(want, tuple) else (want,)
        if phase in ("readonly", "user"):
            d = top              # nothing is made: the cases use top
        else:
            d = P(top, cid)
            os.mkdir(d)
        try:
            got = fn(d) or "0"
        except Exception as e:    # the setup failed: a failure, never a match
            got = "setup failed: %s: %s" % (type(e).__name__, e)
        if got in want:
            npass += 1
            ndiff += bool(note)
            print("ok   %s: %s -> %s%s" % (cid, what, got,
                                         " (lakemount: %s; Linux: %s)" % (note, "/".join(
                                             linux if isinstance(linux, tuple) else (linux,)))
                                         if note else ""))
        else:
            nfail += 1
            print("FAIL %s: %s: expected %s, got %s" % (cid, what, " or ".join(want), got))
    print("posix: %s on %s (%s): %d cases checked, %d passed, %d failed, %d documented differences"
          % (phase, top, fs, npass + nfail, npass, nfail, ndiff))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
