"""Python's Waitress (the server this project re-creates) serving the bench workloads as a WSGI app.

Usage: /usr/bin/python3 bench/apps/python_waitress.py --port 0 --workload hello
(or PORT / WORKLOAD in the environment). Prints "READY <port>" once it listens, exits on SIGTERM.

The responses are the same bytes as bench/apps/workloads.mjs: `hello` (also `pipelined` and
`close`) is 200 "Hello World" with `content-type: text/plain;charset=UTF-8`, `echo` returns the
request body, `stream-echo` the same read in chunks and yielded chunk by chunk (chunked), `big` a
preallocated 1 MiB body, all three `application/octet-stream`.

Waitress runs with its defaults except `threads=4` (its default is 4 too; given explicitly) and
one thing: its "waitress.queue" logger, which warns "Task queue depth is N" whenever a request
waits for a worker thread, is raised to ERROR. Under wrk's 50 connections that warning fires
thousands of times per second and the writes to stderr would slow Waitress down; we measure the
server, not its logging. Set WAITRESS_QUEUE_WARNINGS=1 to keep the warnings.
"""

import logging
import os
import signal
import sys

WORKLOADS = ["hello", "pipelined", "close", "echo", "stream-echo", "big"]
HELLO = b"Hello World"
BIG = b"x" * (1024 * 1024)


def parse_args(argv, env):
    def get(name):
        for i, arg in enumerate(argv):
            if arg == "--" + name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith("--" + name + "="):
                return arg[len(name) + 3:]
        return env.get(name.upper())

    raw_port = get("port")
    try:
        port = int(raw_port if raw_port is not None else 0)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise SystemExit(f"Bad port {raw_port!r}: give an integer from 0 to 65535")
    workload = get("workload") or "hello"
    if workload not in WORKLOADS:
        raise SystemExit(f"Unknown workload {workload!r}: use one of {', '.join(WORKLOADS)}")
    return port, workload


def hello(environ, start_response):
    start_response("200 OK", [("content-type", "text/plain;charset=UTF-8"), ("content-length", "11")])
    return [HELLO]


def echo(environ, start_response):
    # Waitress reads the whole body before it calls the app, so this read never waits.
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    start_response("200 OK", [("content-type", "application/octet-stream"), ("content-length", str(len(body)))])
    return [body]


def stream_echo(environ, start_response):
    # The body read in chunks and each one yielded as it comes: no content-length, so Waitress
    # sends the response chunked, as the other servers' stream-echo.
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    start_response("200 OK", [("content-type", "application/octet-stream")])

    def chunks():
        left = length
        while left > 0:
            chunk = stream.read(min(16384, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk

    return chunks()


def big(environ, start_response):
    start_response("200 OK", [("content-type", "application/octet-stream"), ("content-length", str(len(BIG)))])
    return [BIG]


APPS = {"hello": hello, "pipelined": hello, "close": hello, "echo": echo, "stream-echo": stream_echo, "big": big}


def main():
    port, workload = parse_args(sys.argv[1:], os.environ)
    try:
        import waitress
    except ImportError:
        sys.exit(
            f"waitress is not importable by {sys.executable}; on Debian/Ubuntu: "
            "apt-get install -y python3-waitress (then use /usr/bin/python3)"
        )
    logging.basicConfig()  # as waitress.serve() does
    if os.environ.get("WAITRESS_QUEUE_WARNINGS") != "1":
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    def on_sigterm(signum, frame):
        # Raised in the main thread inside server.run(), which catches SystemExit and stops
        # its worker threads.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_sigterm)
    # What waitress.serve(app, host=..., port=..., threads=4) does, minus its "Serving on" line:
    # create_server() binds, so with port 0 we can read the port the kernel chose.
    server = waitress.create_server(APPS[workload], host="127.0.0.1", port=port, threads=4)
    print(f"READY {server.effective_port}", flush=True)
    try:
        server.run()
    finally:
        server.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
