"""Run one web process: uvicorn serving the site on a listening socket it inherits.

`manage.py serve` has supervisord bind the port once and hand the socket to
every web process as file descriptor 0. uvicorn's own `--fd` option wraps a
descriptor as a Unix socket, which leaves Nagle's algorithm on for every TCP
connection (about 40 ms more per keep-alive request, measured); wrapping it
here lets Python detect TCP, so uvicorn sets TCP_NODELAY as it does for a port.

Run: python -m musicweb.webserver --fd 0
"""

from __future__ import annotations

import argparse
import os
import socket

import uvicorn

# The site's sockets receive only small JSON requests; a larger message closes the socket (1009).
WS_MAX_SIZE = 64 * 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, default=0, help="The inherited listening socket.")
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "info").lower())
    args = parser.parse_args(argv)
    listening = socket.socket(fileno=args.fd)  # family and type read from the descriptor
    config = uvicorn.Config(
        "musicweb.asgi:application",
        lifespan="off",  # Channels' router has no lifespan protocol
        # Client addresses are the peers'; the site itself reads X-Forwarded-For, and only
        # from TRUSTED_PROXIES (musicweb/addresses.py), so uvicorn must not rewrite them.
        proxy_headers=False,
        server_header=False,
        ws_max_size=WS_MAX_SIZE,
        timeout_graceful_shutdown=5,
        log_level=args.log_level,
    )
    uvicorn.Server(config).run(sockets=[listening])


if __name__ == "__main__":
    main()
