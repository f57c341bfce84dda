"""A large multipart upload: the server's peak memory while microflask parses and saves it.

A uvicorn-served microflask app (``bench_apps.upload_app``) answers ``POST /upload`` with
``await request.files`` and saves the file to disk. This script streams a multipart body of
``--mib`` MiB over a plain socket (never holding it in memory), then reads the server's peak RSS
(``VmHWM`` in /proc) before and after. The body should be spooled to disk, not buffered.

    python benchmarks/upload.py [--mib 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import time
from typing import Any

from benchutil import HOST, http_get, mib, served

CHUNK = 1024 * 1024
BOUNDARY = "microflask-bench-" + os.urandom(12).hex()


def post_multipart(port: int, size: int) -> tuple[int, dict[str, Any], float]:
    """Stream a ``size``-byte file as multipart/form-data; return the status, JSON body and seconds."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    chunk = os.urandom(CHUNK)
    assert BOUNDARY.encode() not in chunk
    length = len(head) + size + len(tail)
    request = (
        f"POST /upload HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()
    start = time.perf_counter()
    with socket.create_connection((HOST, port), timeout=120) as sock:
        sock.sendall(request + head)
        left = size
        while left > 0:
            n = min(CHUNK, left)
            sock.sendall(chunk if n == CHUNK else chunk[:n])
            left -= n
        sock.sendall(tail)
        response = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            response += data
    elapsed = time.perf_counter() - start
    header, _, body = response.partition(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    return status, json.loads(body) if status == 200 else {"error": body.decode(errors="replace")}, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=200, help="size of the uploaded file in MiB")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    size = args.mib * 1024 * 1024
    if 1 < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {1})  # the client on CPU 1, the server on CPU 0
    with served("microflask", cpu=0, factory="upload_app") as server:
        http_get(server.port, "/")
        rss_before, hwm_before = server.status("VmRSS"), server.status("VmHWM")
        status, body, elapsed = post_multipart(server.port, size)
        rss_after, hwm_after = server.status("VmRSS"), server.status("VmHWM")
    if status != 200 or body.get("size") != size:
        raise SystemExit(f"upload failed: {status} {body}")
    result = {
        "mib": args.mib,
        "seconds": elapsed,
        "mib_per_s": args.mib / elapsed,
        "rss_before_kib": rss_before,
        "hwm_before_kib": hwm_before,
        "rss_after_kib": rss_after,
        "hwm_after_kib": hwm_after,
    }
    print(
        f"upload of {args.mib} MiB multipart to microflask (uvicorn): {elapsed:.1f} s, {args.mib / elapsed:.0f} MiB/s"
    )
    print(f"  server RSS {mib(rss_before):.1f} MiB before, {mib(rss_after):.1f} MiB after")
    print(f"  server peak RSS (VmHWM) {mib(hwm_before):.1f} MiB before, {mib(hwm_after):.1f} MiB after")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
