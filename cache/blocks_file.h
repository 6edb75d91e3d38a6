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

#define BLOCKFILE_REC_LEN 16
#define BLOCKFILE_NAME_MAX 128	/* room for any relative name, NUL included */

/* What the map records of a block: how its bytes are stored in the data
 * file at block_no * bs, and when it was last used (the LRU order a
 * restart starts from). */
struct blockrec {
	uint32_t raw;		/* the block's length */
	uint32_t plen;		/* bytes stored: raw, or fewer when LZ4 */
	uint32_t used;		/* seconds since the epoch */
};

/* 1 when id is BLOCKS_ID_LEN lower-case hex digits and nothing else. */
int blockfile_id_ok(const char *id);

/* Disk bytes a block of plen stored bytes takes: whole pages, as the
 * filesystem allocates them in a sparse file. */
uint32_t blockfile_disk_len(uint32_t plen);

/* What is to be stored for a block of len bytes (*plen of them): LZ4
 * output in *z when that takes at most 9/10 of len, else data itself.
 * The caller frees *z (NULL when not used). */
const void *blockfile_encode(const void *data, size_t len, char **z, uint32_t *plen);

/* Writes the stored bytes p (rec->plen) of block `no` into id's data file,
 * making the object's directory (0700) and files (0600) if missing.  The
 * block is not there until blockfile_record() says so.  Returns 0, or -1
 * with the range freed again. */
int blockfile_write_data(int root, const char *id, uint64_t no, uint32_t bs,
			 const void *p, uint32_t plen);
/* Writes block `no`'s record into id's map: from then on the block is
 * there.  Returns 0 or -1. */
int blockfile_record(int root, const char *id, uint64_t no, const struct blockrec *rec);
/* Sets the used time of block `no`'s record (best effort). */
void blockfile_touch(int root, const char *id, uint64_t no, uint32_t used);
/* Removes block `no`: its record first, then its bytes (a hole punched
 * where they were), so that no record ever names missing bytes. */
void blockfile_punch(int root, const char *id, uint64_t no, uint32_t bs);
/* Removes id's files (best effort). */
void blockfile_remove(int root, const char *id);

/* Reads block `no` of id, as rec says it is stored, into buf (at least
 * rec->raw bytes).  Returns rec->raw; -1 when it cannot be read now (out
 * of descriptors or memory, an I/O error); -2 when it is missing or
 * damaged. */
ssize_t blockfile_read(int root, const char *id, uint64_t no, uint32_t bs, void *buf,
		       const struct blockrec *rec);

/* id's data file, read-only, for the kernel to read from (passthrough);
 * -1 with errno set. */
int blockfile_open_data(int root, const char *id);

/* Opens DIR/blocks, making DIR (mkdir -p) and it when missing; the new
 * directories, and DIR/blocks always, are 0700.  Returns the descriptor,
 * or -1 with errno set. */
int blockfile_opendir(const char *dir);

/* Opens and flocks DIR/blocks/meta into *metafd.  Returns 1 when the blocks
 * there may be kept, 0 when they must go (a new cache, one made with
 * another block size or format, or one whose last run ended without a
 * clean close in an earlier boot: its newest data may never have reached
 * the disk), -1 with a message in err (another process holds the lock, or
 * an I/O error).  From then on the cache counts as open in this boot. */
int blockfile_meta_open(int root, uint32_t bs, const char *dir, unsigned wait_ms,
			int *metafd, char *err, size_t errlen);
/* Records bs in the meta file: call it once the blocks of any other block
 * size are gone.  Returns 0 or -1. */
int blockfile_meta_write(int metafd, uint32_t bs);
/* The meta file says the cache was closed cleanly: call it once every
 * object written since open is on the disk (blockfile_sync). */
void blockfile_meta_clean(int metafd, uint32_t bs);
/* Writes id's files to the disk (fdatasync).  Returns 0 or -1. */
int blockfile_sync(int root, const char *id);

/* Called for each good block found; returns 0, or -1 to stop. */
typedef int blockfile_found_fn(void *arg, const char *id, uint64_t no,
			       const struct blockrec *rec);

/* Walks DIR/blocks: every good block goes to found(); damaged records,
 * bytes no record names, files of the earlier formats, and every block
 * when discard, are removed, and so are objects left with no block.
 * Returns 0, or -1 when the walk could not begin or found() stopped it. */
int blockfile_scan(int root, uint32_t bs, int discard, blockfile_found_fn *found,
		   void *arg);

#endif
