"""Reading a request body within a size limit, before and after decompression.

A 1 MiB gzip body can inflate to gigabytes; the limit applies to what comes out of the
decompressor as well as what goes in, and decompression stops as soon as it is passed.
"""

from __future__ import annotations

import io
import zlib

import brotli
import zstandard
from starlette.requests import Request

from console.core.errors import IngestError

__all__ = ["read_body"]


def _too_large(limit: int, what: str) -> IngestError:
    return IngestError("payload_too_large", f"the {what} exceeds the limit of {limit} bytes", status=413)


async def read_body(request: Request, *, limit: int) -> bytes:
    """The request body, decompressed per Content-Encoding, or an IngestError (413/415)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, "body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, "body")
        chunks.append(chunk)
    raw = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding in ("gzip", "x-gzip"):
        return _inflate(raw, zlib.MAX_WBITS | 16, limit)
    if encoding == "deflate":
        # Some clients send raw deflate despite the name; zlib-wrapped is the standard.
        try:
            return _inflate(raw, zlib.MAX_WBITS, limit)
        except IngestError as exc:
            if exc.status == 413:
                raise
            return _inflate(raw, -zlib.MAX_WBITS, limit)
    if encoding == "br":
        return _unbrotli(raw, limit)
    if encoding == "zstd":
        return _unzstd(raw, limit)
    raise IngestError(
        "unsupported_encoding",
        f"Content-Encoding {encoding!r} is not supported; use gzip, deflate, br, zstd or none",
        status=415,
    )


def _inflate(raw: bytes, wbits: int, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise IngestError("bad_encoding", f"the body could not be decompressed: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise _too_large(limit, "decompressed body")
    if not inflater.eof:
        raise IngestError("bad_encoding", "the compressed body is truncated")
    return out


def _unbrotli(raw: bytes, limit: int) -> bytes:
    inflater = brotli.Decompressor()
    try:
        # The output buffer stops growing near the limit, so a bomb never inflates in memory.
        out: bytes = inflater.process(raw, output_buffer_limit=limit + 1)
        if len(out) > limit or not inflater.can_accept_more_data():
            raise _too_large(limit, "decompressed body")
    except brotli.error as exc:
        raise IngestError("bad_encoding", f"the body could not be decompressed: {exc}") from None
    if not inflater.is_finished():
        raise IngestError("bad_encoding", "the compressed body is truncated")
    return out


def _unzstd(raw: bytes, limit: int) -> bytes:
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw), read_across_frames=True)
    try:
        out = reader.read(limit + 1)
        if len(out) > limit:
            raise _too_large(limit, "decompressed body")
        # The reader returns what it could of a cut stream without complaint; a second pass,
        # now known to stay within the limit, tells whether the last frame ended.
        check = zstandard.ZstdDecompressor().decompressobj()
        check.decompress(raw)
    except zstandard.ZstdError as exc:
        raise IngestError("bad_encoding", f"the body could not be decompressed: {exc}") from None
    if not check.eof:
        raise IngestError("bad_encoding", "the compressed body is truncated")
    return out
