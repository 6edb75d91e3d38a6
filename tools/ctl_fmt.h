/*
 * ctl_fmt: how lakemount-ctl writes numbers for people, and its messages.
 *
 * Every ctl_fmt_* function writes into the caller's buffer (always
 * NUL-terminated, cut to fit) and returns it, so that several can be used
 * in one printf.
 */
#ifndef LM_CTL_FMT_H
#define LM_CTL_FMT_H

#include <stddef.h>
#include <stdint.h>

#define CTL_PROG "lakemount-ctl"

/* Sizes in IEC units: "0 B", "512 B", "1.5 KiB", "45.6 MiB", "120 GiB". */
char *ctl_fmt_size(uint64_t bytes, char *buf, size_t len);

/* A time left or elapsed as a clock: "0:42", "12:03", "1:02:03". */
char *ctl_fmt_clock(double seconds, char *buf, size_t len);

/* An age or uptime in the two largest units: "12s", "5m 03s", "2h 03m",
 * "3d 04h". */
char *ctl_fmt_age(double seconds, char *buf, size_t len);

/* A latency: "850us", "12.3ms", "1.20s". */
char *ctl_fmt_latency(double seconds, char *buf, size_t len);

/* "lakemount-ctl: " + the message + "\n" on stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
