/*
 * blockfile: the block cache's files -- their format, their names under
 * DIR/blocks, and the steps that write, read and find them.  It keeps no
 * state and takes no locks; blocks.c owns the accounting and the order in
 * which these steps may happen.  The format is described in blocks_file.c.
 *
 * Names are relative to root, a descriptor of DIR/blocks, so that a
 * long cache path never meets a name-length limit.
 */
#ifndef LM_BLOCKS_FILE_H
#define LM_BLOCKS_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define BLOCKFILE_HDR_LEN 16
#define BLOCKFILE_NAME_MAX 128	/* room for any relative name, NUL included */

/* 1 when id is BLOCKS_ID_LEN lower-case hex digits and nothing else. */
int blockfile_id_ok(const char *id);

/* "<id[0:2]>/<id>/<no>", or the name of a temp file for it when tmpseq is
 * not 0 ("<no>.tmp<tmpseq>" in the same directory). */
void blockfile_name(char buf[BLOCKFILE_NAME_MAX], const char *id, uint64_t no,
		    uint64_t tmpseq);
/* Remove block `no` of id, or id's directory when it is empty; best
 * effort (a missing file is not an error). */
void blockfile_unlink(int root, const char *id, uint64_t no);
void blockfile_rmdir(int root, const char *id);

/* Makes the trailer (hdr) for a block of len bytes and returns what is to
 * go before it (*plen bytes): LZ4 output in *z when that takes at most 9/10
 * of len, else data itself.  The caller frees *z (NULL when not used). */
const void *blockfile_encode(unsigned char hdr[BLOCKFILE_HDR_LEN], const void *data,
			     size_t len, char **z, uint32_t *plen);

/* Writes a new file tmp (0600) holding p and then the trailer hdr, making
 * the object's directories (0700) if they are missing.  When *direct, a
 * page-aligned p of whole pages is written with O_DIRECT; if the filesystem
 * refuses that, *direct becomes 0 and the write goes through the page
 * cache.  Returns 0, or -1 with nothing left behind. */
int blockfile_write(int root, const char *id, const char *tmp,
		    const unsigned char hdr[BLOCKFILE_HDR_LEN], const void *p, size_t n,
		    int *direct);

/* Reads block file `name`, which should be `size` bytes (trailer included)
 * holding `raw` bytes of data, into buf (at least raw bytes); when touch,
 * sets its mtime to now.  Returns raw; -1 when it cannot be read now (out of
 * descriptors or memory, an I/O error); -2 when it is missing or damaged. */
ssize_t blockfile_read(int root, const char *name, uint32_t bs, void *buf,
		       uint32_t size, uint32_t raw, int touch);

/* Opens DIR/blocks, making DIR (mkdir -p) and it when missing; the new
 * directories, and DIR/blocks always, are 0700.  Returns the descriptor,
 * or -1 with errno set. */
int blockfile_opendir(const char *dir);

/* Opens and flocks DIR/blocks/meta into *metafd.  Returns 1 when the blocks
 * there may be kept, 0 when they must go (a new cache, or one made with
 * another block size or format), -1 with a message in err (another process
 * holds the lock, or an I/O error). */
int blockfile_meta_open(int root, uint32_t bs, const char *dir, int *metafd,
			char *err, size_t errlen);
/* Records bs in the meta file: call it once the blocks of any other block
 * size are gone.  Returns 0 or -1. */
int blockfile_meta_write(int metafd, uint32_t bs);

/* Called for each good block file found; returns 0, or -1 to stop. */
typedef int blockfile_found_fn(void *arg, const char *id, uint64_t no, uint32_t size,
			       uint32_t raw, const struct timespec *mtime);

/* Walks DIR/blocks: every good block goes to found(); temp files, damaged
 * blocks, other names in an object's directory, and every block when
 * discard, are removed, and so are objects' directories left empty.
 * Returns 0, or -1 when the walk could not begin or found() stopped it. */
int blockfile_scan(int root, uint32_t bs, int discard, blockfile_found_fn *found,
		   void *arg);

#endif
