"""A TCP proxy in front of a real database server that can freeze: from `freeze()` on it
forwards nothing in either direction and leaves new connections unanswered, as a network
that has gone silent does (no reset, no close). Used where a test needs dbci stuck in a
read from its server, beyond what a cancel can reach."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit


class FreezingProxy:
    """Forwards 127.0.0.1:`port` to `upstream` (host, port) until frozen."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.frozen = threading.Event()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url_for(self, url: str) -> str:
        """`url` with its host and port replaced by this proxy's."""
        parts = urlsplit(url)
        login = parts.netloc.rpartition("@")[0]
        netloc = f"{login}@127.0.0.1:{self.port}" if login else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def freeze(self) -> None:
        """From now on nothing passes; connections stay open and silent."""
        self.frozen.set()

    def close(self) -> None:
        self._closed.set()
        self.frozen.set()
        for sock in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            if self.frozen.is_set():
                continue  # accepted, never answered
            server = socket.create_connection(self.upstream)
            self._sockets.append(server)
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data or self.frozen.is_set():
                # Frozen: what came is held back, and the socket stays open.
                return
            try:
                target.sendall(data)
            except OSError:
                return


@contextlib.contextmanager
def freezing_proxy(url: str) -> Iterator[FreezingProxy]:
    """A proxy to the server of `url` (default ports as the URL's scheme has them)."""
    parts = urlsplit(url)
    default = 3306 if parts.scheme.startswith("mysql") else 5432
    proxy = FreezingProxy((parts.hostname or "127.0.0.1", parts.port or default))
    try:
        yield proxy
    finally:
        proxy.close()
