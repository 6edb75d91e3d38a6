#!/usr/bin/env python3
"""loadgen.py: the load of t0630 and t0635, one process per worker.

  loadgen.py read ID DIR SECONDS SUMS
      random files of DIR (10 % of picks among the big* ones), each read
      whole and compared with SUMS ("name sha256" lines)
  loadgen.py write ID DIR SECONDS [--files N] [--max BYTES]
      files w0..w<N-1> of DIR (made if missing), each written whole with
      random bytes (1..BYTES of them), closed, then opened again and read
      back: it must read as written
  loadgen.py look ID DIR SECONDS
      lists DIR and stats each entry, over and over (lookups and listings
      racing the writers and their uploads); errors from names going away
      meanwhile are fine, wrong sizes are not judged here

Each prints "MODE ID: ops N bytes B slowest_ms S" (S: the slowest write
and read-back cycle, writers only) and exits 1 at the first error, with
what was read against what was written (length, first differing offset,
and which earlier version of the file the bytes were, if any).
"""
import argparse
import hashlib
import os
import random
import sys
import time


def opts():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("read", "write", "look"))
    p.add_argument("ident", type=int)
    p.add_argument("dir")
    p.add_argument("secs", type=float)
    p.add_argument("sums", nargs="?")
    p.add_argument("--files", type=int, default=50)
    p.add_argument("--max", type=int, default=400000)
    return p.parse_args()


def reader(o, rnd, end):
    sums = dict(l.split() for l in open(o.sums))
    names = sorted(sums)
    big = [n for n in names if n.startswith("big")]
    ops = nbytes = 0
    while time.monotonic() < end:
        n = rnd.choice(big) if rnd.random() < 0.1 else rnd.choice(names)
        with open(os.path.join(o.dir, n), "rb") as f:
            b = f.read()
        if hashlib.sha256(b).hexdigest() != sums[n]:
            sys.exit("reader %d: %s: wrong bytes (%d read)" % (o.ident, n, len(b)))
        ops += 1
        nbytes += len(b)
    return ops, nbytes


def explain(p, want, got, st, history):
    """What a wrong read-back was, for the log."""
    diff = next((i for i in range(min(len(want), len(got))) if want[i] != got[i]),
                min(len(want), len(got)))
    h = hashlib.sha256(got).hexdigest()
    old = [i for i, (s, n) in enumerate(history) if s == h]
    return ("%s: reads back wrong: wrote %d bytes, read %d (fstat said %d), first "
            "difference at %d; the bytes read are %s" %
            (p, len(want), len(got), st, diff,
             "version -%d of this file" % (len(history) - old[-1]) if old
             else "no earlier version of this file"))


def writer(o, rnd, end):
    global slowest
    os.makedirs(o.dir, exist_ok=True)
    hist = {}
    ops = nbytes = 0
    while time.monotonic() < end:
        t0 = time.monotonic()
        name = "w%d" % rnd.randrange(o.files)
        p = os.path.join(o.dir, name)
        b = rnd.randbytes(rnd.randint(1, o.max))
        with open(p, "wb") as f:
            f.write(b)
        try:
            with open(p, "rb") as f:
                st = os.fstat(f.fileno()).st_size
                got = f.read()
        except OSError as e:
            sys.exit("writer %d: %s: read back after close: %s" % (o.ident, p, e))
        h = hist.setdefault(name, [])
        if got != b:
            sys.exit("writer %d: %s" % (o.ident, explain(p, b, got, st, h)))
        h.append((hashlib.sha256(b).hexdigest(), len(b)))
        del h[:-20]
        ops += 1
        nbytes += len(b)
        slowest = max(slowest, time.monotonic() - t0)
    return ops, nbytes


def looker(o, rnd, end):
    ops = 0
    while time.monotonic() < end:
        try:
            names = os.listdir(o.dir)
        except FileNotFoundError:
            time.sleep(0.05)
            continue
        for n in names:
            try:
                os.stat(os.path.join(o.dir, n))
            except FileNotFoundError:
                pass
            ops += 1
    return ops, 0


slowest = 0.0


def main():
    o = opts()
    rnd = random.Random(o.ident)
    end = time.monotonic() + o.secs
    ops, nbytes = {"read": reader, "write": writer, "look": looker}[o.mode](o, rnd, end)
    print("%s %d: ops %d bytes %d slowest_ms %d" % (o.mode, o.ident, ops, nbytes,
                                                   slowest * 1000))


if __name__ == "__main__":
    main()
