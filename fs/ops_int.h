/*
 * ops_int.h: what ops.c (reads, lookups), ops_dir.c (listings) and
 * ops_write.c (the write path's requests) share.  FUSE glue only.
 */
#ifndef LM_OPS_INT_H
#define LM_OPS_INT_H

#define FUSE_USE_VERSION 34

#include <fuse_lowlevel.h>
#include <sys/stat.h>

#include "inode.h"
#include "lmfs.h"

struct fhandle;
struct wfile;

/* What fi->fh of an open file points to. */
struct open_file {
	struct fhandle *fh;	/* the reader's handle, or NULL */
	struct wfile *wf;	/* the write path's file, or NULL */
	int counted;		/* wf counts this handle as open (writer_close) */
	enum inode_mode mode;	/* of a reader's handle (inodes_open) */
	/* How it was read, for siblings.c's note 4 (atomics: reads run at
	 * once): its folder (0: not followed), where the first read began
	 * (0: none yet, 1: at the start, 2: past it), and how far its start
	 * was read: the end of the reads that began in the first block or
	 * within a block of what was read before them (0: none; not followed
	 * past the first part). */
	uint64_t parent;
	int first_read;
	uint64_t head_reach;
};

/* A row as the kernel sees it: the index's view with what a file being
 * written knows on top. */
void ops_stat(struct lmfs *fs, const struct index_entry *e, struct stat *st);
void ops_fill_entry(struct lmfs *fs, const struct index_entry *e, struct fuse_entry_param *p);

/* open of a file for writing, or of one with a wfile: fills of and fi and
 * returns 0; 1 when the reader should serve it as usual; or -errno. */
int ops_open_written(struct lmfs *fs, const struct index_entry *e, struct fuse_file_info *fi,
		     struct open_file *of);
void ops_read_written(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi);
void ops_release_file(struct lmfs *fs, fuse_ino_t ino, struct open_file *of);

void ops_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ops_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ops_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi);
void ops_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi);

void ops_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		struct fuse_file_info *fi);
void ops_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void ops_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		const char *newname, unsigned int flags);
/* Not supported (man lakemount(8), POSIX BEHAVIOUR): hard links, symbolic
 * links, FIFOs, sockets and devices get EPERM (EROFS in a read-only tree);
 * mknod of a regular file creates it as open(O_CREAT) would. */
void ops_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);
void ops_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void ops_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void ops_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		 struct fuse_file_info *fi);
void ops_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		  size_t size, int flags);
void ops_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);
void ops_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
	       struct fuse_file_info *fi);
void ops_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ops_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void ops_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			 struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
			 struct fuse_file_info *fi_out, size_t len, int flags);

#endif
