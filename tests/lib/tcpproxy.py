#!/usr/bin/env python3
"""tcpproxy.py PORT TARGET_PORT -- a TCP relay on 127.0.0.1:PORT to
127.0.0.1:TARGET_PORT, put in front of the real S3 server by failure tests.

  kill the process          the endpoint is gone: connections are refused
  SIGUSR1                   toggle "hung": connections are accepted and bytes
                            read, but nothing goes through either way (a
                            server that stopped answering)
Prints "ready" on stdout once listening.  Python stdlib only."""
import asyncio
import signal
import sys

PORT, TARGET = int(sys.argv[1]), int(sys.argv[2])
hung = False


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            while hung:
                await asyncio.sleep(0.1)
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
    await asyncio.gather(pipe(creader, swriter), pipe(sreader, cwriter))


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
