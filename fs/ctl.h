/*
 * The control socket: how lakemount-ctl(1) talks to a running daemon.
 *
 * Finding it.  getxattr(MOUNTPOINT, "user.lakemount.control") on the mount's
 * root gives the socket's absolute path: CACHE_DIR/control.sock.  The
 * socket is mode 0600, owned by the mounting user, and the daemon also
 * checks SO_PEERCRED: only root and the mounting user are served; anybody
 * else gets {"ok":false,"errno":13,"error":"..."} (if they get to connect
 * at all) and the connection is closed.
 *
 * Protocol.  One request per connection: the client writes one JSON object
 * on one line, e.g. {"cmd":"status"}.  The daemon answers with zero or more
 * progress lines {"progress":{...}} (at most a few per second) and then one
 * final line, {"ok":true, ...} or {"ok":false,"error":"message","errno":N},
 * and closes the connection.  Paths are relative to the mount's root, with
 * no leading '/', no "." or ".." components ("" is the root).  Commands on
 * paths take one regular file each: the client walks folders itself
 * (through the mount) and sends one request per file, several at once.
 *
 *   {"cmd":"status"}
 *     -> {"ok":true,"status":{"mountpoint":S,"pid":N,"uptime_s":N,
 *         "sources":[{"name":S,"endpoint":S,"bucket":S,"health":"ok"|"failing"|"unknown",
 *                     "requests":N,"failures":N,"last_error":S|null,"last_error_age_s":N|null}],
 *         "cache":{"dir":S,"used_bytes":N,"max_bytes":N,"blocks":N,"pinned_files":N},
 *         "writes":{"dirty_files":N,"journal":N,"uploading":N,"staged_bytes":N},
 *         "last_error":{"message":S,"age_s":N}|null}}
 *   {"cmd":"stats"}
 *     -> {"ok":true,"stats":{"uptime_s":N,
 *         "requests":{OP:{"ok":N,"client_error":N,"server_error":N,"network_error":N},...},
 *         "retries":N,
 *         "bytes":{"down":N,"up":N,"copied":N},
 *         "cache":{"hits":N,"misses":N,"evictions":N,"used_bytes":N,"max_bytes":N},
 *         "latency":{OP:{"le":[0.005,0.01,...,10],"counts":[N,...,N],"count":N,"sum_s":X},...}}}
 *     OP is an S3 operation name (GetObject, HeadObject, ListObjectsV2, PutObject,
 *     CopyObject, DeleteObject, DeleteObjects, CreateMultipartUpload, UploadPart,
 *     UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload); an op with no
 *     request yet is left out.  "counts" are cumulative, as in Prometheus: counts[i]
 *     requests took <= le[i] seconds; "count" is all of them (the +Inf bucket).
 *   {"cmd":"stats","format":"prometheus"}
 *     -> {"ok":true,"text":"# HELP ...\n..."}  (Prometheus text format 0.0.4)
 *   {"cmd":"prefetch","path":P}
 *     progress {"progress":{"bytes":N,"total":N}}
 *     -> {"ok":true,"bytes":N,"fetched":N}  (fetched: bytes that were not cached before)
 *   {"cmd":"copy","src":P,"dst":P,"dry_run":false}
 *     One file of `lakemount-ctl sync`: copies src to dst S3-to-S3 (CopyObject;
 *     a stream through the daemon when the two trees are on different endpoints)
 *     unless dst already holds the same size and content (ETag or sha256).
 *     -> {"ok":true,"result":"copied"|"skipped"|"would_copy","method":"server"|"stream"|null,
 *         "bytes":N}
 *   {"cmd":"flush","timeout_s":N}
 *     progress {"progress":{"pending":N}} about once a second
 *     -> {"ok":true} once the journal is empty, or {"ok":false,...} after timeout_s
 *   {"cmd":"evict","path":P}   -> {"ok":true,"bytes":N}  (bytes dropped from the cache;
 *                                 errno 16 EBUSY for a pinned file)
 *   {"cmd":"pin","path":P}     progress as prefetch -> {"ok":true,"bytes":N,"fetched":N}
 *                              (kept from eviction, across remounts, until unpin)
 *   {"cmd":"unpin","path":P}   -> {"ok":true,"was_pinned":B}
 *   {"cmd":"verify","path":P}  progress as prefetch; the whole file is fetched
 *     and checked against its sidecar before the answer
 *     -> {"ok":true,"checksum":"ok"|"mismatch"|"none"|"unverified"}
 *     ("none": no sidecar or not a checked tree; "unverified": the sidecar
 *     could not be read now; the daemon's log names both hashes of a mismatch)
 *
 * Errors name what failed, e.g. {"ok":false,"errno":2,"error":"archive/x: no such file"};
 * an unknown command is errno 22 (EINVAL); more than 64 requests at once get
 * errno 11 (EAGAIN: try again).
 */
#ifndef LM_CTL_H
#define LM_CTL_H

#include <stddef.h>

struct lmfs;
struct ctl;

/* Listen on CACHE_DIR/control.sock and serve requests on a thread of its
 * own; with metrics_file, also rewrite that file with the Prometheus text
 * of the counters every 15 s (and at ctl_stop).  Returns NULL with a
 * message in err on failure. */
struct ctl *ctl_start(struct lmfs *fs, const char *mountpoint, const char *metrics_file,
		      char *err, size_t errlen);
/* Stop serving, wait for requests under way, remove the socket. */
void ctl_stop(struct ctl *c);
/* The socket's path (for the user.lakemount.control attribute). */
const char *ctl_path(const struct ctl *c);

#endif
