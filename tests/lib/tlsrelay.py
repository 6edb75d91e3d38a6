#!/usr/bin/env python3
"""tlsrelay.py PORT TARGET_PORT CERT KEY: a TLS-terminating relay for tests.

Listens on 127.0.0.1:PORT with the certificate CERT (and its key KEY),
decrypts, and forwards the bytes to 127.0.0.1:TARGET_PORT in plain TCP
(an RGW), both ways.  Prints "ready" once listening.  A handshake the
client refuses (an untrusted certificate) just ends that connection.
"""
import socket
import ssl
import sys
import threading


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn, ctx, target):
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        conn.close()
        return
    try:
        up = socket.create_connection(("127.0.0.1", target))
    except OSError:
        tls.close()
        return
    t = threading.Thread(target=pump, args=(up, tls), daemon=True)
    t.start()
    pump(tls, up)
    t.join()
    tls.close()
    up.close()


def main():
    port, target, cert, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve, args=(conn, ctx, target), daemon=True).start()


if __name__ == "__main__":
    main()
