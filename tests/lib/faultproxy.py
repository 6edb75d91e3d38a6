#!/usr/bin/env python3
"""faultproxy.py PORT TARGET_PORT -- an HTTP/1.1 relay on 127.0.0.1:PORT to
127.0.0.1:TARGET_PORT (the real S3 server), which can fail chosen requests
the way a bad network or a loaded S3 does.

It parses every request (head, then a body by Content-Length or chunked) and
every answer (1xx interim answers, then a body by Content-Length, chunked,
or up to the close), so a fault hits one request, not a byte offset.  Each
client connection has its own connection to the server, kept alive.

  kill the process          the endpoint is gone: connections are refused
  SIGUSR1                   toggle "hung": requests are read but not
                            answered, and answers being relayed stop (a
                            server that stopped answering)
  env LM_PROXY_COUNT=FILE   keep "UP DOWN" in FILE: the bytes relayed from
                            the clients to the server and back
  env LM_PROXY_CTL=FILE     the fault control file, re-read (when it was
                            replaced or changed) before every request;
                            see below
  env LM_PROXY_STATS=FILE   JSON counters, rewritten after every request:
                            {"requests": N, "methods": {"GET": N, ...},
                             "faults": {"500": N, "reset": N, ...},
                             "faulted": N, "hung": N, "matched": N}

The control file holds KEY=VALUE words (any layout; a missing file or an
empty one means "pass everything"):
  mode=pass|faults|hang   hang: every request is read and never answered
                          (the connection stays open until the client
                          gives up); faults: fail PERCENT of the requests
  percent=P               0..100, per request (default 0)
  kinds=K,K,...           picked at random for a faulted request, among:
      500        answer 500 InternalError (an S3 XML error body)
      503        answer 503 ServiceUnavailable
      slowdown   answer 503 SlowDown
      reset      read the request, do not forward it, reset the connection
                 (RST: SO_LINGER 0)
      reset-mid  forward it, relay the answer's head and half its body,
                 then reset the connection (the server did the work)
      truncate   forward it, send the head with the true Content-Length,
                 part of the body, then close (FIN)
      badlen     forward it, send the whole body under a Content-Length
                 that disagrees with it (half of it, or 1000 more), then
                 close after 50 ms: "badlen-short" / "badlen-long" in the
                 stats.  A short one leaves the rest of the body on a
                 connection the client may take for reusable meanwhile.
      flip       forward it with one byte of its body changed (a request
                 with a body of 1 byte or more; others go through
                 untouched, uncounted): a body damaged on the way, which
                 the server must refuse by its signed hash
                 (default kinds: 500,503,slowdown,reset)
  methods=M,M             fault only these methods (default: all)
  match=TEXT              fault only requests whose target contains TEXT
  seed=S                  the random seed (default 1; re-seeded on change)
  delay=MS                hold every request that methods and match
                          select (in any mode) for MS ms before it is
                          forwarded: a slow answer to chosen requests;
                          "matched" in the stats counts those held
  rate=B                  relay the body of every answer to a request
                          that methods and match select at B bytes a
                          second (default 0: as fast as it comes), a
                          slow link, or a slow server for chosen keys;
                          an answer keeps the rate its request met
truncate, reset-mid and badlen need an answer with a body of 2 bytes or
more; an answer without one goes through untouched (and is not counted).
Prints "ready" on stdout once listening.  Python stdlib only."""
import asyncio
import json
import os
import random
import signal
import socket
import struct
import sys

PORT, TARGET = int(sys.argv[1]), int(sys.argv[2])
COUNT = os.environ.get("LM_PROXY_COUNT")
CTL = os.environ.get("LM_PROXY_CTL")
STATS = os.environ.get("LM_PROXY_STATS")
KINDS = ("500", "503", "slowdown", "reset", "reset-mid", "truncate", "badlen", "flip")
hung_signal = False
relayed = [0, 0]
stats = {"requests": 0, "methods": {}, "faults": {}, "faulted": 0, "hung": 0, "matched": 0}
ctl = {"mode": "pass", "percent": 0.0, "kinds": list(KINDS[:4]), "methods": None,
       "match": None, "seed": "1", "rate": 0, "delay": 0}
ctl_mtime = None
rng = random.Random(1)


class Closed(Exception):
    pass


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def count(way, n):
    if not COUNT:
        return
    relayed[way] += n
    write_atomic(COUNT, "%d %d\n" % (relayed[0], relayed[1]))


def bump(section, key=None):
    if key is None:
        stats[section] += 1
    else:
        stats[section][key] = stats[section].get(key, 0) + 1
    if STATS:
        write_atomic(STATS, json.dumps(stats, sort_keys=True) + "\n")


def load_ctl():
    global ctl_mtime, rng
    if not CTL:
        return
    try:
        st = os.stat(CTL)
        # the inode too: a file renamed into place within the same clock
        # tick as the last one has the same mtime
        if (st.st_ino, st.st_mtime_ns, st.st_size) == ctl_mtime:
            return
        with open(CTL) as f:
            words = f.read().split()
        ctl_mtime = (st.st_ino, st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        words = []
        ctl_mtime = None
    new = {"mode": "pass", "percent": 0.0, "kinds": list(KINDS[:4]), "methods": None,
           "match": None, "seed": "1", "rate": 0, "delay": 0}
    for w in words:
        k, _, v = w.partition("=")
        if k == "mode" and v in ("pass", "faults", "hang"):
            new["mode"] = v
        elif k == "percent":
            new["percent"] = float(v)
        elif k in ("rate", "delay"):
            new[k] = int(v)
        elif k == "kinds":
            new["kinds"] = [x for x in v.split(",") if x in KINDS] or list(KINDS[:4])
        elif k == "methods":
            new["methods"] = v.upper().split(",")
        elif k in ("match", "seed"):
            new[k] = v
        else:
            print("faultproxy: control file: ignored %r" % w, file=sys.stderr, flush=True)
    if new["seed"] != ctl["seed"]:
        rng = random.Random(new["seed"])
    ctl.update(new)


def selected(method, target):
    """Do methods= and match= pick this request?"""
    return ((not ctl["methods"] or method in ctl["methods"]) and
            (not ctl["match"] or ctl["match"] in target))


def pick_fault(method, target):
    """The fault for this request, "hang", or None."""
    load_ctl()
    if hung_signal or ctl["mode"] == "hang":
        return "hang"
    if ctl["mode"] != "faults" or ctl["percent"] <= 0:
        return None
    if not selected(method, target):
        return None
    if rng.random() * 100 >= ctl["percent"]:
        return None
    return rng.choice(ctl["kinds"])


# ---- reading HTTP messages ----

async def read_head(reader):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            raise Closed()
        raise
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return lines[0], headers, head


def header(headers, name):
    for n, v in headers:
        if n.lower() == name:
            return v
    return None


async def read_chunked(reader):
    """The raw bytes of a chunked body, trailers included."""
    out = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        out += line
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            while True:
                t = await reader.readuntil(b"\r\n")
                out += t
                if t == b"\r\n":
                    return bytes(out)
        out += await reader.readexactly(size + 2)


def body_kind(headers):
    te = header(headers, "transfer-encoding")
    if te and "chunked" in te.lower():
        return "chunked", None
    cl = header(headers, "content-length")
    if cl is not None:
        return "length", int(cl)
    return "close", None


# ---- answering ----

def reset(writer):
    """Close with RST."""
    sock = writer.get_extra_info("socket")
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    writer.transport.abort()


def s3_error(status, code, message):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
            '<Message>%s</Message><RequestId>faultproxy</RequestId></Error>' % (code, message))
    reason = {500: "Internal Server Error", 503: "Service Unavailable"}[status]
    head = ("HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n"
            "x-amz-request-id: faultproxy\r\n\r\n" % (status, reason, len(body)))
    return (head + body).encode()


CANNED = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "ServiceUnavailable", "Please reduce your request rate."),
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
}


async def send(writer, data):
    while hung_signal:
        await asyncio.sleep(0.1)
    writer.write(data)
    count(1, len(data))
    await writer.drain()


async def send_body(writer, data, rate):
    """send(), at rate bytes a second when one is set."""
    if not rate:
        await send(writer, data)
        return
    step = max(1, rate // 20)
    for i in range(0, len(data), step):
        await send(writer, data[i:i + step])
        await asyncio.sleep(len(data[i:i + step]) / rate)


def with_length(head, n):
    """The response head with its Content-Length set to n."""
    lines = head.decode("latin-1").split("\r\n")
    out = [l for l in lines if not l.lower().startswith(("content-length:", "transfer-encoding:"))]
    out.insert(1, "Content-Length: %d" % n)
    return "\r\n".join(out).encode("latin-1")


async def relay_response(method, sreader, cwriter, fault, rate):
    """Relay the server's answer to one request, applying fault (None,
    reset-mid, truncate or badlen).  Returns "keep" (the connection goes on)
    or "close"."""
    while True:
        status_line, headers, head = await read_head(sreader)
        status = int(status_line.split()[1])
        if status >= 200 or status == 101:
            break
        await send(cwriter, head)          # 100 Continue and the like
    kind, length = body_kind(headers)
    if method == "HEAD" or status in (204, 304):
        kind, length = "length", 0
    keep = (header(headers, "connection") or "").lower() != "close" and kind != "close"
    if fault is None:
        await send(cwriter, head)
        if kind == "chunked":
            await send_body(cwriter, await read_chunked(sreader), rate)
        elif kind == "length":
            left = length
            while left:
                data = await sreader.read(min(left, 262144))
                if not data:
                    raise Closed()
                left -= len(data)
                await send_body(cwriter, data, rate)
        else:
            while True:
                data = await sreader.read(262144)
                if not data:
                    break
                await send_body(cwriter, data, rate)
        return "keep" if keep else "close"
    # A fault that cuts the body: take the whole answer first.
    if kind == "chunked":
        raw = await read_chunked(sreader)
        body = decode_chunked(raw)
        head = with_length(head, len(body))
    elif kind == "length":
        body = await sreader.readexactly(length)
    else:
        body = await sreader.read()
    if len(body) < 2:
        await send(cwriter, head + body)
        return "keep" if keep else "close"
    if fault == "badlen":
        if rng.random() < 0.5:
            fault, head = "badlen-short", with_length(head, len(body) // 2)
        else:
            fault, head = "badlen-long", with_length(head, len(body) + 1000)
    else:
        head = with_length(head, len(body))
        body = body[:rng.randint(1, len(body) - 1)] if fault == "truncate" else body[:len(body) // 2]
    bump("faults", fault)
    bump("faulted")
    await send(cwriter, head + body)
    await asyncio.sleep(0.05)   # let the bytes leave before the close
    if fault == "reset-mid":
        reset(cwriter)
        return "gone"
    return "close"


def decode_chunked(raw):
    out, i = bytearray(), 0
    while True:
        j = raw.index(b"\r\n", i)
        size = int(raw[i:j].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += raw[j + 2:j + 2 + size]
        i = j + 2 + size + 2


async def handle(creader, cwriter):
    sreader = swriter = None
    try:
        while True:
            request_line, headers, head = await read_head(creader)
            method, target = request_line.split()[0], request_line.split()[1]
            kind, length = body_kind(headers)
            if kind == "chunked":
                body = await read_chunked(creader)
            elif kind == "length":
                body = await creader.readexactly(length)
            else:
                body = b""
            count(0, len(head) + len(body))
            bump("requests")
            bump("methods", method)
            fault = pick_fault(method, target)
            if fault == "hang":
                bump("hung")
                await creader.read()        # until the client gives up
                return
            if fault in CANNED:
                bump("faults", fault)
                bump("faulted")
                await send(cwriter, s3_error(*CANNED[fault]))
                continue
            if fault == "reset":
                bump("faults", fault)
                bump("faulted")
                reset(cwriter)
                cwriter = None
                return
            if fault == "flip":
                if kind == "length" and body:
                    bump("faults", fault)
                    bump("faulted")
                    i = len(body) // 2
                    body = body[:i] + bytes([body[i] ^ 0x20]) + body[i + 1:]
                fault = None
            if ctl["delay"] and selected(method, target):
                bump("matched")
                await asyncio.sleep(ctl["delay"] / 1000)
            if swriter is None:
                sreader, swriter = await asyncio.open_connection("127.0.0.1", TARGET)
            swriter.write(head + body)
            await swriter.drain()
            how = await relay_response(method, sreader, cwriter, fault,
                                       ctl["rate"] if selected(method, target) else 0)
            if how == "gone":
                cwriter = None
                return
            if how == "close":
                return
    except (Closed, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            ValueError, IndexError, OSError, asyncio.CancelledError):
        pass
    finally:
        for w in (swriter, cwriter):
            if w is not None:
                try:
                    w.close()
                except Exception:
                    pass


def toggle():
    global hung_signal
    hung_signal = not hung_signal


async def main():
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, toggle)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    server = await asyncio.start_server(handle, "127.0.0.1", PORT, reuse_address=True,
                                        limit=1 << 20)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


try:
    asyncio.run(main())
except RuntimeError:
    pass
