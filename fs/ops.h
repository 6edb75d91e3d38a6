/*
 * ops: the FUSE low-level operations of lakemount (the request userdata is
 * the struct lmfs).
 */
#ifndef LM_OPS_H
#define LM_OPS_H

struct fuse_lowlevel_ops;

const struct fuse_lowlevel_ops *ops_table(void);

#endif
