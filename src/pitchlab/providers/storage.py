"""Where uploaded files live: a local folder (the default) or an S3-compatible bucket.

Both adapters are one class over `obstore` (a well-kept Rust object-store client: a local
folder and S3 behind the same calls; multipart uploads to S3 as the buffer fills), so the code
that streams an upload, reads it back for transcription and deletes it is the same code for
both; the tests drive it against a real S3 protocol server (moto) and a temporary folder.

Keys are chosen by Pitchlab (``<company>/<uuid>``), never by a client, so no key names a path
outside the store.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import anyio
import obstore
from obstore.store import LocalStore, S3Store

from pitchlab.config import Settings

if TYPE_CHECKING:
    from obstore import AsyncWritableFile
    from obstore.store import ObjectStore

# A multipart part to S3 (at least 5 MiB by S3's rules); also the most an upload holds in memory.
WRITE_BUFFER_BYTES = 8 * 1024 * 1024


class FileWriter(Protocol):
    async def write(self, chunk: bytes) -> None: ...
    async def finish(self) -> None: ...
    async def abort(self) -> None: ...


class FileStore(Protocol):
    """Stored files by key."""

    name: str

    async def open_writer(self, key: str) -> FileWriter: ...
    async def read(self, key: str, *, limit: int) -> bytes: ...
    def local_file(self, key: str) -> contextlib.AbstractAsyncContextManager[Path]: ...
    async def delete(self, key: str) -> None: ...
    async def delete_prefix(self, prefix: str) -> int: ...


class _Writer:
    """Streams to the store; an aborted or failed write leaves no object behind."""

    def __init__(self, store: ObjectStore, key: str, file: AsyncWritableFile) -> None:
        self._store, self._key, self._file = store, key, file

    async def write(self, chunk: bytes) -> None:
        await self._file.write(chunk)

    async def finish(self) -> None:
        await self._file.close()

    async def abort(self) -> None:
        with contextlib.suppress(Exception):  # the write's own error is what is reported
            await self._file.close()
        with contextlib.suppress(FileNotFoundError):
            await obstore.delete_async(self._store, self._key)


class ObjectFileStore:
    """A ``FileStore`` over an obstore store. ``folder``: the local folder the store writes in
    (its files are read in place), None for a remote store (read into a temporary file)."""

    def __init__(self, store: ObjectStore, name: str, folder: Path | None = None) -> None:
        self._store, self.name, self._folder = store, name, folder

    async def open_writer(self, key: str) -> FileWriter:
        file = obstore.open_writer_async(self._store, key, buffer_size=WRITE_BUFFER_BYTES)
        return _Writer(self._store, key, file)

    async def read(self, key: str, *, limit: int) -> bytes:
        """The file's first ``limit`` bytes (a transcript: small by then, checked on upload)."""
        result = await obstore.get_async(self._store, key)
        data = bytearray()
        async for chunk in result.stream(min_chunk_size=64 * 1024):
            data += bytes(chunk)
            if len(data) >= limit:
                break
        return bytes(data[:limit])

    @contextlib.asynccontextmanager
    async def local_file(self, key: str) -> AsyncIterator[Path]:
        """The file on this machine's disk, for a client that sends a file by path."""
        if self._folder is not None:
            yield self._folder / key
            return
        handle, name = tempfile.mkstemp(prefix="pitchlab-recording-")
        os.close(handle)
        try:
            async with await anyio.open_file(name, "wb") as out:
                result = await obstore.get_async(self._store, key)
                async for chunk in result.stream(min_chunk_size=WRITE_BUFFER_BYTES):
                    await out.write(bytes(chunk))
            yield Path(name)
        finally:
            await anyio.Path(name).unlink(missing_ok=True)

    async def delete(self, key: str) -> None:
        """Idempotent: a file already gone is not an error (a retried deletion)."""
        with contextlib.suppress(FileNotFoundError):
            await obstore.delete_async(self._store, key)


    async def delete_prefix(self, prefix: str) -> int:
        """Every file under ``prefix`` (an erased account's); how many."""
        deleted = 0
        async for batch in obstore.list(self._store, prefix=prefix):
            paths = [meta["path"] for meta in batch]
            if paths:
                await obstore.delete_async(self._store, paths)
                deleted += len(paths)
        return deleted


def build_file_store(settings: Settings) -> FileStore:
    """S3 when a bucket is configured, else the data folder's ``recordings``."""
    if settings.s3_bucket:
        return ObjectFileStore(_s3_store(settings), "s3")
    folder = (settings.recordings_dir or settings.data_dir / "recordings").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return ObjectFileStore(LocalStore(folder, mkdir=True), "local", folder)


def _s3_store(settings: Settings) -> S3Store:
    secret = settings.s3_secret_access_key
    config = {
        "region": settings.s3_region,
        **({"endpoint": settings.s3_endpoint_url} if settings.s3_endpoint_url else {}),
        **({"access_key_id": settings.s3_access_key_id} if settings.s3_access_key_id else {}),
        **({"secret_access_key": secret.get_secret_value()} if secret else {}),
    }
    endpoint = settings.s3_endpoint_url or ""
    return S3Store(
        settings.s3_bucket, prefix=settings.s3_prefix or None,
        # an S3-compatible store (MinIO, R2, B2...) is addressed by path, and may be plain http
        # on a private network
        virtual_hosted_style_request=not endpoint,
        client_options={"allow_http": endpoint.startswith("http://")},
        **config,  # type: ignore[arg-type]
    )
