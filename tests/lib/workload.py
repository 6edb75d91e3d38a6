#!/usr/bin/env python3
"""workload.py -- a mixed workload on a layer directory of a lakemount mount,
with a reference model of what the mount acknowledged (Python stdlib only).

  workload.py run --dir MNT/bronze/wl --model M.json --seed N
                  [--duration S] [--dead-flag FILE] [--max-files N]
                  [--ops KIND,...]
      Load the model (or start an empty one: DIR must exist and be empty),
      settle the op that was in flight when the mount died last time (its
      paths, read through the mount, must match one of the states the op
      may have left), check that the whole of DIR equals the model, then
      run random ops for S seconds: creates (write in chunks, sometimes
      fsync, close), overwrites (O_TRUNC), appends, renames of files (to a
      new name or over another file), renames of small directories, cp
      (coreutils; inside the mount a server-side copy), deletes, mkdir,
      rmdir (--ops keeps only the kinds named: create, overwrite, append,
      rename, cp, delete, mkdir, rendir, rmdir).  Exit 0 when the time is up or when the mount died under an
      op (DEAD-FLAG exists: the test killed the daemon); exit 1 on any
      other error or any difference from the model.

  workload.py check --model M.json --bucket B --prefix bronze/wl/
      Compare the bucket (s3cli ls/get; S3_* in the environment) with the
      model: every acknowledged file present with its bytes, a dir/ marker
      for every directory and nothing else, except what the op in flight
      may explain.  Exit 1 on a difference.

  workload.py stats --model M.json      print the counters

The model (JSON) is {"files": {relpath: sha256}, "dirs": [relpath],
"inflight": OP or null, "seq": n, "stats": {...}}.  An op is acknowledged
once its last system call returned (close for writes, rename, unlink,
mkdir, rmdir, cp's exit); before its first call the model is written with
the op as "inflight": {"what": text, "paths": [...], "states": [STATE...]},
each STATE a dict path -> sha256 | "<dir>" | null (absent), the first one
the state before the op; a write also accepts any prefix of the bytes it
meant (M.json.meant), from the size before it on.  The file is replaced with rename(2), so a kill
of anything leaves the old model or the new one.
"""
import argparse
import errno
import hashlib
import json
import os
import random
import subprocess
import sys
import time

DIR = "<dir>"
EMPTY = hashlib.sha256(b"").hexdigest()
# errors an op sees when the daemon is killed under it (and, after the
# lazy unmount, ENOENT: the path is then the empty mount point directory)
DEATH = {errno.ENOTCONN, errno.ECONNABORTED, errno.EIO, errno.ENOENT,
         errno.ENODEV}


def sha(b):
    return hashlib.sha256(b).hexdigest()


class Model:
    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            with open(path) as f:
                m = json.load(f)
        else:
            m = {"files": {}, "dirs": [], "inflight": None, "seq": 0,
                 "stats": {}}
        self.files = m["files"]
        self.dirs = set(m["dirs"])
        self.inflight = m["inflight"]
        self.seq = m["seq"]
        self.stats = m["stats"]
        for k in ("runs", "acked", "inflight_found", "inflight_done",
                  "inflight_not_done", "inflight_partial", "killed_idle",
                  "bytes_written", "fsyncs"):
            self.stats.setdefault(k, 0)
        self.stats.setdefault("ops", {})
        self.stats.setdefault("death_errors", {})

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"files": self.files, "dirs": sorted(self.dirs),
                       "inflight": self.inflight, "seq": self.seq,
                       "stats": self.stats}, f, sort_keys=True)
        os.replace(tmp, self.path)

    def name(self, prefix):
        self.seq += 1
        return "%s%d" % (prefix, self.seq)

    def state(self, paths):
        """the model's current state of paths"""
        st = {}
        for p in paths:
            if p in self.files:
                st[p] = self.files[p]
            elif p in self.dirs:
                st[p] = DIR
            else:
                st[p] = None
        return st

    def apply(self, state):
        for p, v in state.items():
            self.files.pop(p, None)
            self.dirs.discard(p)
            if v == DIR:
                self.dirs.add(p)
            elif v is not None:
                self.files[p] = v


def fail(msg):
    print("workload: FAIL: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


# ------------------------------------------------------------ views

def mount_path_state(root, p):
    full = os.path.join(root, p)
    try:
        if os.path.isdir(full) and not os.path.islink(full):
            return DIR
        with open(full, "rb") as f:
            return sha(f.read())
    except FileNotFoundError:
        return None


def mount_view(root):
    """files and dirs under root, as the mount shows them"""
    files, dirs = {}, set()
    for dp, dns, fns in os.walk(root, onerror=raise_it):
        rel = os.path.relpath(dp, root)
        for d in dns:
            dirs.add(d if rel == "." else os.path.join(rel, d))
        for fn in fns:
            p = fn if rel == "." else os.path.join(rel, fn)
            try:
                with open(os.path.join(root, p), "rb") as f:
                    files[p] = sha(f.read())
            except OSError as e:
                e.filename = os.path.join(root, p)
                raise
    return files, dirs


def raise_it(e):
    raise e


def bucket_view(s3cli, bucket, prefix):
    out = subprocess.run([s3cli, "ls", bucket, prefix], check=True,
                         capture_output=True, text=True).stdout
    files, dirs = {}, set()
    for line in out.splitlines():
        key = line.split("\t")[0]
        rel = key[len(prefix):]
        if rel == "":
            continue  # the marker of the workload's own directory
        if key.endswith("/"):
            dirs.add(rel[:-1])
            continue
        body = subprocess.run([s3cli, "get", bucket, key], check=True,
                              capture_output=True).stdout
        files[rel] = sha(body)
    return files, dirs


def compare(model, files, dirs, where):
    """the differences between (files, dirs) and the model, allowing the
    paths of the op in flight any of its states; [] when equal"""
    loose = set()
    if model.inflight:
        loose = set(model.inflight["paths"])
        got = {}
        for p in loose:
            got[p] = files.get(p, DIR if p in dirs else None)
        if not any(got == norm(s) for s in model.inflight["states"]):
            return ["%s: the op in flight (%s) left %s, none of its states"
                    % (where, model.inflight["what"], short(got))]
    diffs = []
    for p in sorted(set(model.files) | set(files)):
        if p in loose:
            continue
        if model.files.get(p) != files.get(p):
            diffs.append("%s: %s is %s, the model says %s" % (
                where, p, short1(files.get(p)), short1(model.files.get(p))))
    for p in sorted(model.dirs ^ dirs):
        if p in loose:
            continue
        diffs.append("%s: directory %s is %s, the model says %s" % (
            where, p, "there" if p in dirs else "missing",
            "there" if p in model.dirs else "absent"))
    return diffs


def norm(state):
    return {p: state.get(p) for p in state}


def short1(v):
    return "absent" if v is None else ("a directory" if v == DIR else v[:12])


def short(st):
    return "{" + ", ".join("%s: %s" % (p, short1(v))
                           for p, v in sorted(st.items())) + "}"


# ------------------------------------------------------------ ops

class Dead(Exception):
    pass


class Runner:
    def __init__(self, args, model):
        self.root = args.dir
        self.m = model
        self.rnd = random.Random(args.seed)
        self.dead_flag = args.dead_flag
        self.max_files = args.max_files
        self.kinds = set(args.ops.split(",")) if args.ops else None

    def full(self, p):
        return os.path.join(self.root, p)

    def begin(self, what, states):
        paths = sorted(set().union(*[set(s) for s in states]))
        self.m.inflight = {"what": what, "paths": paths,
                           "states": [{p: s.get(p) for p in paths}
                                      for s in states]}
        self.m.save()

    def extend(self, state):
        """one more state the op in flight may leave"""
        fl = self.m.inflight
        fl["states"].append({p: state.get(p) for p in fl["paths"]})
        self.m.save()

    def done(self, kind, state):
        # a log of the acknowledged ops, next to the model, for failures
        with open(self.m.path + ".ops", "a") as f:
            f.write("%.3f %s\n" % (time.time(), self.m.inflight["what"]))
        self.m.apply(state)
        self.m.inflight = None
        self.m.stats["acked"] += 1
        self.m.stats["ops"][kind] = self.m.stats["ops"].get(kind, 0) + 1
        self.m.save()

    def data(self):
        r = self.rnd.random()
        if r < 0.08:
            n = self.rnd.randint(256 << 10, 3 << 20)
        elif r < 0.15:
            n = 0
        else:
            n = self.rnd.randint(1, 96 << 10)
        return self.rnd.randbytes(n)

    def some_dir(self):
        return self.rnd.choice([""] + sorted(self.m.dirs))

    def some_file(self):
        return self.rnd.choice(sorted(self.m.files)) if self.m.files else None

    # each op: record the states it may leave, do it, acknowledge it

    def op_write(self, kind):
        if kind == "create" or not self.m.files:
            kind = "create"
            p = os.path.join(self.some_dir(), self.m.name("f"))
            old, flags = None, os.O_CREAT | os.O_EXCL | os.O_WRONLY
            base = b""
        else:
            p = self.some_file()
            old = self.m.files[p]
            if kind == "overwrite":
                flags, base = os.O_WRONLY | os.O_TRUNC, b""
            else:
                flags = os.O_WRONLY | os.O_APPEND
                with open(self.full(p), "rb") as f:
                    base = f.read()
                if sha(base) != old:
                    fail("%s reads as %s before an append, the model says %s"
                         % (p, sha(base)[:12], old[:12]))
        body = self.data()
        chunk = self.rnd.choice([4096, 65536, 131072])
        h = hashlib.sha256(base)
        states = [{p: old}, {p: h.hexdigest()}]
        pieces = []
        for off in range(0, len(body), chunk):
            pieces.append(body[off:off + chunk])
            h.update(pieces[-1])
            states.append({p: h.hexdigest()})
        # A write(2) that had not returned at the kill may have reached the
        # daemon in part (the kernel sends it in several requests): any
        # prefix of the bytes meant, from the old size on, is a state it
        # may leave.  They are kept beside the model for settle().
        with open(self.m.path + ".meant.tmp", "wb") as f:
            f.write(base + body)
        os.replace(self.m.path + ".meant.tmp", self.m.path + ".meant")
        self.begin("%s %s (%d bytes in %d writes)" % (kind, p, len(body),
                                                    len(pieces)), states)
        self.m.inflight["prefix"] = {"path": p, "from": len(base)}
        self.m.save()
        fd = os.open(self.full(p), flags, 0o644)
        try:
            for piece in pieces:
                view = memoryview(piece)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
            if self.rnd.random() < 0.2:
                os.fsync(fd)
                self.m.stats["fsyncs"] += 1
        finally:
            os.close(fd)
        self.m.stats["bytes_written"] += len(body)
        self.done(kind, states[-1])

    def op_rename(self):
        src = self.some_file()
        if src is None:
            return
        if self.rnd.random() < 0.25 and len(self.m.files) > 1:
            dst = self.rnd.choice([f for f in sorted(self.m.files)
                                   if f != src])
        else:
            dst = os.path.join(self.some_dir(), self.m.name("r"))
        before = self.m.state([src, dst])
        after = {src: None, dst: before[src]}
        self.begin("rename %s -> %s" % (src, dst), [before, after])
        os.rename(self.full(src), self.full(dst))
        self.done("rename", after)

    def op_rendir(self):
        small = [d for d in sorted(self.m.dirs)
                 if sum(1 for f in self.m.files if f.startswith(d + "/")) <= 6]
        if not small:
            return
        d = self.rnd.choice(small)
        nd = self.m.name("d")
        inside = [f for f in sorted(self.m.files) if f.startswith(d + "/")]
        before = self.m.state([d, nd] + inside +
                              [nd + f[len(d):] for f in inside])
        after = {d: None, nd: DIR}
        for f in inside:
            after[f] = None
            after[nd + f[len(d):]] = self.m.files[f]
        self.begin("rename directory %s -> %s (%d files)"
                   % (d, nd, len(inside)), [before, after])
        os.rename(self.full(d), self.full(nd))
        self.done("rendir", after)

    def op_cp(self):
        src = self.some_file()
        if src is None:
            return
        dst = os.path.join(self.some_dir(), self.m.name("c"))
        before = self.m.state([src, dst])
        after = {src: before[src], dst: before[src]}
        # cp creates dst, then copies into it
        self.begin("cp %s %s" % (src, dst),
                   [before, {src: before[src], dst: EMPTY}, after])
        r = subprocess.run(["cp", self.full(src), self.full(dst)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            e = OSError(errno.EIO, "cp: " + r.stderr.strip())
            e.cp = True
            raise e
        self.done("cp", after)

    def op_delete(self):
        p = self.some_file()
        if p is None:
            return
        before = self.m.state([p])
        self.begin("delete " + p, [before, {p: None}])
        os.unlink(self.full(p))
        self.done("delete", {p: None})

    def op_mkdir(self):
        d = self.m.name("d")
        self.begin("mkdir " + d, [{d: None}, {d: DIR}])
        os.mkdir(self.full(d))
        self.done("mkdir", {d: DIR})

    def op_rmdir(self):
        empty = [d for d in sorted(self.m.dirs)
                 if not any(f.startswith(d + "/") for f in self.m.files)]
        if not empty:
            return
        d = self.rnd.choice(empty)
        self.begin("rmdir " + d, [{d: DIR}, {d: None}])
        os.rmdir(self.full(d))
        self.done("rmdir", {d: None})

    def one(self):
        n = len(self.m.files)
        many = n > self.max_files
        ops = [("create", 10 if not many else 2), ("overwrite", 5),
               ("append", 5), ("rename", 6), ("cp", 4),
               ("delete", 5 if not many else 20),
               ("mkdir", 2 if len(self.m.dirs) < 8 else 0),
               ("rendir", 1), ("rmdir", 1)]
        if self.kinds:
            ops = [(k, w) for k, w in ops if k in self.kinds and w]
        kind = self.rnd.choices([k for k, _ in ops],
                                [w for _, w in ops])[0]
        if kind in ("create", "overwrite", "append"):
            self.op_write(kind)
        else:
            getattr(self, "op_" + kind)()

    def dead(self, when):
        """did the test kill the daemon before the error seen at `when`?
        (it makes the flag, then kills: an error older than the flag
        came from a live daemon, and is a failure)"""
        if not self.dead_flag:
            return False
        for _ in range(50):
            try:
                return os.stat(self.dead_flag).st_mtime <= when + 0.01
            except FileNotFoundError:
                time.sleep(0.1)
        return False


def settle(r, m):
    """the op in flight at the last death: which of its states is there?"""
    fl = m.inflight
    if not fl:
        return
    got = {p: mount_path_state(r.root, p) for p in fl["paths"]}
    for i, s in enumerate(fl["states"]):
        if got == norm(s):
            m.stats["inflight_found"] += 1
            if i == 0:
                m.stats["inflight_not_done"] += 1
                how = "not done"
            elif i == len(fl["states"]) - 1:
                m.stats["inflight_done"] += 1
                how = "done"
            else:
                m.stats["inflight_partial"] += 1
                how = "partly done (state %d of %d)" % (i, len(fl["states"]) - 1)
            print("workload: in flight at the kill: %s: %s" % (fl["what"], how),
                  flush=True)
            m.apply(s)
            m.inflight = None
            m.save()
            return
    pre = fl.get("prefix")
    if pre:
        try:
            with open(os.path.join(r.root, pre["path"]), "rb") as f:
                now = f.read()
            with open(m.path + ".meant", "rb") as f:
                meant = f.read()
        except OSError:
            now = meant = None
        if now is not None and len(now) >= pre["from"] and meant.startswith(now):
            m.stats["inflight_found"] += 1
            m.stats["inflight_partial"] += 1
            print("workload: in flight at the kill: %s: partly done (%d of %d bytes)"
                  % (fl["what"], len(now), len(meant)), flush=True)
            m.apply({pre["path"]: sha(now)})
            m.inflight = None
            m.save()
            return
    fail("the op in flight at the kill (%s) left %s, none of its states %s; %s"
         % (fl["what"], short(got), [short(s) for s in fl["states"]],
            "; ".join(diagnose(r.root, p) for p in fl["paths"])))


def explain(args, root, m, files):
    """for a failure message: what S3 and the xattrs say of the files
    whose contents differ"""
    out = []
    for p in sorted(set(m.files) & set(files)):
        if m.files[p] == files[p]:
            continue
        line = "%s: etag %s" % (p, xattr(os.path.join(root, p),
                                          "user.lakemount.etag"))
        if args.bucket:
            r = subprocess.run([args.s3cli, "get", args.bucket, args.prefix + p],
                               capture_output=True)
            line += ", in S3: %s" % (sha(r.stdout)[:12] if r.returncode == 0
                                     else r.stderr.decode().strip())
            r = subprocess.run([args.s3cli, "head", args.bucket, args.prefix + p],
                               capture_output=True, text=True)
            line += " (%s)" % r.stdout.strip()
        out.append(line)
    return out


def xattr(path, name):
    try:
        return os.getxattr(path, name).decode()
    except OSError as e:
        return e.strerror


def diagnose(root, p):
    """what the mount says of p, for a failure message"""
    full = os.path.join(root, p)
    out = [p + ":"]
    for what, fn in (("stat", lambda: "size %d" % os.stat(full).st_size),
                     ("listed", lambda: str(os.path.basename(p) in
                                            os.listdir(os.path.dirname(full)))),
                     ("read", lambda: "%d bytes" % len(open(full, "rb").read()))):
        try:
            out.append("%s %s" % (what, fn()))
        except OSError as e:
            out.append("%s: %s" % (what, e.strerror))
    # an error on the directory itself: what its ancestors say
    d, n = os.path.dirname(p), len(out)
    while True:
        try:
            os.listdir(os.path.join(root, d))
            break
        except OSError as e:
            out.append("listing %s/: %s" % (d, e.strerror))
        if not d:
            break
        d = os.path.dirname(d)
    if len(out) > n and not os.path.ismount(os.path.dirname(os.path.dirname(root))):
        out.append("(the mount is gone)")
    return " ".join(out)


def run(args):
    m = Model(args.model)
    r = Runner(args, m)
    m.stats["runs"] += 1
    try:
        settle(r, m)
        files, dirs = mount_view(r.root)
        diffs = compare(m, files, dirs, "mount")
        if diffs:
            fail("\n  ".join(["the mount differs from the model:"] + diffs +
                             explain(args, r.root, m, files)))
    except OSError as e:
        if e.errno in DEATH and r.dead(time.time()):
            print("workload: killed before the first op (%s)" % e, flush=True)
            m.stats["killed_idle"] += 1
            m.save()
            return 0
        fail("reading the mount: %s; %s" % (e, diagnose(r.root, os.path.relpath(
            e.filename, r.root)) if isinstance(e.filename, str) else ""))
    m.save()
    end = time.monotonic() + args.duration
    n = 0
    while time.monotonic() < end:
        try:
            r.one()
            n += 1
        except OSError as e:
            if e.errno in DEATH and r.dead(time.time()):
                m.stats["death_errors"][errno.errorcode.get(e.errno, "?")] = \
                    m.stats["death_errors"].get(
                        errno.errorcode.get(e.errno, "?"), 0) + 1
                m.save()
                print("workload: mount died after %d ops, in flight: %s (%s)"
                      % (n, m.inflight["what"] if m.inflight else "nothing",
                         e), flush=True)
                return 0
            fail("%s failed: %s" % (m.inflight["what"] if m.inflight
                                    else "an op", e))
    print("workload: %d ops acknowledged in %.0f s, %d files, %d dirs"
          % (n, args.duration, len(m.files), len(m.dirs)), flush=True)
    return 0


def check(args):
    m = Model(args.model)
    files, dirs = bucket_view(args.s3cli, args.bucket, args.prefix)
    diffs = compare(m, files, dirs, "bucket")
    if diffs:
        fail("\n  ".join(["the bucket differs from the model:"] + diffs))
    print("workload: the bucket holds the model: %d files, %d directories%s"
          % (len(m.files), len(m.dirs),
             ", op in flight: " + m.inflight["what"] if m.inflight else ""))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("run")
    a.add_argument("--dir", required=True)
    a.add_argument("--model", required=True)
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--duration", type=float, default=10)
    a.add_argument("--dead-flag")
    a.add_argument("--max-files", type=int, default=120)
    a.add_argument("--ops", help="the op kinds to run, comma-separated")
    a.add_argument("--bucket", help="for failure messages: the bucket")
    a.add_argument("--prefix", default="")
    a.add_argument("--s3cli", default="s3cli")
    c = sub.add_parser("check")
    c.add_argument("--model", required=True)
    c.add_argument("--bucket", required=True)
    c.add_argument("--prefix", required=True)
    c.add_argument("--s3cli", default="s3cli")
    s = sub.add_parser("stats")
    s.add_argument("--model", required=True)
    args = ap.parse_args()
    if args.cmd == "run":
        return run(args)
    if args.cmd == "check":
        return check(args)
    st = Model(args.model).stats
    print(" ".join("%s=%s" % (k, json.dumps(v, sort_keys=True).replace(" ", ""))
                   for k, v in sorted(st.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
