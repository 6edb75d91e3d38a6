/*
 * ctl_fmt: numbers for people (sizes, durations, latencies) and the error
 * line every lakemount-ctl message goes through.
 */
#include "ctl_fmt.h"

#include <stdarg.h>
#include <stdio.h>

char *ctl_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	unsigned u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	/* 1023.96 KiB would print as "1024.0 KiB": say 1.0 MiB instead */
	if (v >= 1023.95 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	if (v < 99.95)
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	else
		snprintf(buf, len, "%.0f %s", v, unit[u]);
	return buf;
}

char *ctl_fmt_clock(double seconds, char *buf, size_t len)
{
	unsigned long long s;

	if (!(seconds >= 0))
		seconds = 0;
	if (seconds > 359999999.0)
		seconds = 359999999.0;
	s = (unsigned long long)(seconds + 0.5);
	if (s >= 3600)
		snprintf(buf, len, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%llu:%02llu", s / 60, s % 60);
	return buf;
}

char *ctl_fmt_age(double seconds, char *buf, size_t len)
{
	unsigned long long s;

	if (!(seconds >= 0))
		seconds = 0;
	if (seconds > 1e12)
		seconds = 1e12;
	s = (unsigned long long)seconds;
	if (s < 60)
		snprintf(buf, len, "%llus", s);
	else if (s < 3600)
		snprintf(buf, len, "%llum %02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lluh %02llum", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%llud %02lluh", s / 86400, s / 3600 % 24);
	return buf;
}

char *ctl_fmt_latency(double seconds, char *buf, size_t len)
{
	if (!(seconds >= 0))
		seconds = 0;
	if (seconds < 0.001)
		snprintf(buf, len, "%.0fus", seconds * 1e6);
	else if (seconds < 0.1)
		snprintf(buf, len, "%.1fms", seconds * 1e3);
	else if (seconds < 1)
		snprintf(buf, len, "%.0fms", seconds * 1e3);
	else
		snprintf(buf, len, "%.2fs", seconds);
	return buf;
}

void ctl_err(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, CTL_PROG ": %s\n", msg);
}
