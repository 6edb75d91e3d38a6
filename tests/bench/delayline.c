/*
 * delayline: a wire with a fixed one-way delay between the host and a
 * network namespace, for `make bench`'s emulated WAN where the kernel has
 * no netem qdisc.
 *
 *   delayline HOSTDEV NSDEV NETNS DELAY_MS
 *
 * Creates the TUN device HOSTDEV in the current network namespace and NSDEV
 * in the namespace NETNS (a path such as /run/netns/NAME), prints "ready"
 * and then copies every packet from one device to the other DELAY_MS
 * milliseconds after it was sent, in order, in both directions: a delay
 * only, no loss, no rate limit.  The caller gives the devices their
 * addresses and brings them up.  The devices are not persistent: they go
 * away when delayline exits (SIGTERM, SIGINT, SIGHUP or an error).
 *
 * Each direction is a ring of QLEN packets; when one is full, packets are
 * dropped (like netem's "limit").
 *
 * Built and run by tests/bench/bench.sh only: cc -O2 -o delayline delayline.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* bench.sh runs the devices with MTU 9000 (it says why not 65000): one
 * read and one write per 9 KiB instead of per 1.5 KiB keep this program
 * from being the bottleneck (at MTU 1500 it capped the link at about
 * 120 MB/s on two cores).  A packet may be up to 64 KiB.  The ring is
 * allocated lazily by the kernel, so its size costs only what is in
 * flight. */
#define QLEN	4096		/* packets in flight per direction, at most */
#define PKTMAX	65536		/* bytes per packet, at most (MTU 65000) */

struct pkt {
	uint64_t due;		/* CLOCK_MONOTONIC ns when it may leave */
	uint32_t len;
	unsigned char data[PKTMAX];
};

struct line {
	int in, out;		/* read from in, write to out */
	struct pkt *q;		/* ring of QLEN */
	size_t head, n;		/* oldest, count */
	unsigned long dropped;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Opens a new non-persistent TUN device NAME in the current namespace. */
static int tun_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "delayline: cannot open /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "delayline: cannot create tun device '%s': %s\n", name,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads what is waiting on l->in into the ring, due at now + delay. */
static void take(struct line *l, uint64_t delay)
{
	for (;;) {
		struct pkt scratch, *p;
		ssize_t r;

		p = l->n < QLEN ? &l->q[(l->head + l->n) % QLEN] : &scratch;
		r = read(l->in, p->data, PKTMAX);
		if (r <= 0)
			return;		/* EAGAIN, or the device went away */
		if (p == &scratch) {
			l->dropped++;
			continue;
		}
		p->len = (uint32_t)r;
		p->due = now_ns() + delay;
		l->n++;
	}
}

/* Writes the packets that are due; returns ns until the next one (or -1). */
static int64_t give(struct line *l)
{
	uint64_t t = now_ns();

	while (l->n) {
		struct pkt *p = &l->q[l->head];

		if (p->due > t)
			return (int64_t)(p->due - t);
		if (write(l->out, p->data, p->len) < 0 && errno == EAGAIN)
			return 100000;	/* retry in 0.1 ms */
		l->head = (l->head + 1) % QLEN;
		l->n--;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct line lines[2];
	struct sigaction sa;
	char *end;
	uint64_t delay;
	int here, there, a, b, i;

	if (argc != 5) {
		fprintf(stderr, "usage: delayline HOSTDEV NSDEV NETNS DELAY_MS\n");
		return 2;
	}
	errno = 0;
	delay = strtoull(argv[4], &end, 10);
	if (errno || *end || end == argv[4] || delay > 10000) {
		fprintf(stderr, "delayline: DELAY_MS '%s' must be 0 to 10000\n", argv[4]);
		return 2;
	}
	delay *= 1000000u;

	here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	there = open(argv[3], O_RDONLY | O_CLOEXEC);
	if (here < 0 || there < 0) {
		fprintf(stderr, "delayline: cannot open network namespace '%s': %s\n",
			here < 0 ? "/proc/self/ns/net" : argv[3], strerror(errno));
		return 1;
	}
	a = tun_open(argv[1]);
	if (a < 0)
		return 1;
	if (setns(there, CLONE_NEWNET) < 0) {
		fprintf(stderr, "delayline: cannot enter '%s': %s\n", argv[3], strerror(errno));
		return 1;
	}
	b = tun_open(argv[2]);
	if (b < 0 || setns(here, CLONE_NEWNET) < 0)
		return 1;
	close(here);
	close(there);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	lines[0] = (struct line){ .in = a, .out = b };
	lines[1] = (struct line){ .in = b, .out = a };
	for (i = 0; i < 2; i++) {
		lines[i].q = malloc(sizeof(struct pkt) * QLEN);
		if (!lines[i].q) {
			fprintf(stderr, "delayline: out of memory\n");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		struct pollfd pf[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
		struct timespec ts, *tp = NULL;
		int64_t wait = -1, w;

		for (i = 0; i < 2; i++) {
			w = give(&lines[i]);
			if (w >= 0 && (wait < 0 || w < wait))
				wait = w;
		}
		if (wait >= 0) {
			ts.tv_sec = wait / 1000000000;
			ts.tv_nsec = wait % 1000000000;
			tp = &ts;
		}
		if (ppoll(pf, 2, tp, NULL) < 0 && errno != EINTR)
			break;
		if ((pf[0].revents | pf[1].revents) & (POLLERR | POLLHUP | POLLNVAL))
			break;
		take(&lines[0], delay);
		take(&lines[1], delay);
	}
	if (lines[0].dropped || lines[1].dropped)
		fprintf(stderr, "delayline: dropped %lu packets to %s, %lu to %s (queue full)\n",
			lines[0].dropped, argv[2], lines[1].dropped, argv[1]);
	return 0;
}
