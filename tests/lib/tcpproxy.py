#!/usr/bin/env python3
"""tcpproxy.py PORT TARGET_PORT -- a TCP relay on 127.0.0.1:PORT to
127.0.0.1:TARGET_PORT, put in front of the real S3 server by failure tests.

  kill the process          the endpoint is gone: connections are refused
  SIGUSR1                   toggle "hung": connections are accepted and bytes
                            read, but nothing goes through either way (a
                            server that stopped answering)
  env LM_PROXY_COUNT=FILE   keep "UP DOWN" in FILE: the bytes relayed from
                            the clients to the server and back (what a client
                            really sent, not what it says it sent)
Prints "ready" on stdout once listening.  Python stdlib only."""
import asyncio
import os
import signal
import sys

PORT, TARGET = int(sys.argv[1]), int(sys.argv[2])
COUNT = os.environ.get("LM_PROXY_COUNT")
hung = False
relayed = [0, 0]


def count(way, n):
    if not COUNT:
        return
    relayed[way] += n
    with open(COUNT + ".tmp", "w") as f:
        f.write("%d %d\n" % (relayed[0], relayed[1]))
    os.replace(COUNT + ".tmp", COUNT)


async def pipe(reader, writer, way):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            while hung:
                await asyncio.sleep(0.1)
            count(way, len(data))
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def handle(creader, cwriter):
    try:
        sreader, swriter = await asyncio.open_connection("127.0.0.1", TARGET)
    except OSError:
        cwriter.close()
        return
    await asyncio.gather(pipe(creader, swriter, 0), pipe(sreader, cwriter, 1))


def toggle():
    global hung
    hung = not hung


async def main():
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, toggle)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    server = await asyncio.start_server(handle, "127.0.0.1", PORT, reuse_address=True)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


try:
    asyncio.run(main())
except RuntimeError:
    pass
