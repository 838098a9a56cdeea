"""A TCP proxy in front of PostgreSQL that a test can cut and restore, to play "the database is
down" without touching the real server."""

from __future__ import annotations

import asyncio
import contextlib
import functools


class ToggleableProxy:
    def __init__(self, *, upstream_host: str | None, upstream_port: int | None,
                 upstream_socket: str | None = None) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.upstream_socket = upstream_socket
        self.port: int | None = None
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        # Bumped by every stop. A connection the kernel accepted before a stop may reach its
        # handler only after it (on 3.11 wait_closed does not wait for handlers): it must not
        # outlive the stop, so each handler knows which start it was accepted under.
        self._generation = 0

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            functools.partial(self._handle, self._generation), "127.0.0.1", self.port or 0
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse new connections and cut every open one, as a crashed database would."""
        assert self._server is not None
        self._generation += 1
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _handle(self, generation: int, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        if generation != self._generation:  # accepted before a stop, handled after it
            writer.close()
            return
        self._writers.add(writer)
        try:
            up_reader, up_writer = await self._open_upstream()
        except OSError:
            self._close(writer)
            return
        if generation != self._generation:  # cut while it was being set up
            self._close(writer)
            self._close(up_writer)
            return
        self._writers.add(up_writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.upstream_socket:
            return await asyncio.open_unix_connection(self.upstream_socket)
        return await asyncio.open_connection(self.upstream_host, self.upstream_port)

    def _close(self, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            writer.close()
        self._writers.discard(writer)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._close(sink)


def proxy_for(url) -> ToggleableProxy:
    """A (not yet started) proxy in front of the PostgreSQL server of SQLAlchemy ``url``."""
    host = url.query.get("host") or url.host
    if host.startswith("/"):  # the embedded server listens on a unix socket only
        return ToggleableProxy(upstream_host=None, upstream_port=None,
                               upstream_socket=f"{host}/.s.PGSQL.{url.port or 5432}")
    return ToggleableProxy(upstream_host=host, upstream_port=url.port or 5432)


def through(url, proxy: ToggleableProxy):
    """``url`` redirected through the running ``proxy``."""
    return url.set(host="127.0.0.1", port=proxy.port, query={})
