"""The files of the web studio on disk: which one a request path names, its type, its bytes.

Only regular files inside the root are served: no path outside it (``..``, absolute
paths, symbolic links that lead out), no hidden files, no directory listings. A path
that names a directory, or nothing, means that directory's ``index.html``.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from services.common.errors import NotFoundError

INDEX_FILE = "index.html"
#: Bytes per piece of a file sent out; a file of any size is read and sent piece by piece.
CHUNK_BYTES = 64 * 1024
#: Only the standard library's own table (not /etc/mime.types, which differs between
#: machines), so a file gets the same type everywhere.
_MEDIA_TYPES = mimetypes.MimeTypes()
#: Text types sent with their charset: every file of the studio is UTF-8.
_TEXT_TYPES = {"application/javascript", "application/json", "image/svg+xml"}
#: Types that must not vary with the Python version (3.11 says application/javascript for
#: .js, 3.12 text/javascript; browsers take both for modules) or that the table lacks.
_FIXED_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".webmanifest": "application/manifest+json",
}


@dataclass(frozen=True)
class Asset:
    """One file to serve."""

    path: Path
    #: The Content-Type to send, e.g. "text/css; charset=utf-8".
    media_type: str
    size_bytes: int


def media_type_of(name: str) -> str:
    """The Content-Type for a file name, by its extension ("application/octet-stream"
    when unknown); text types carry ``charset=utf-8``."""
    suffix = PurePosixPath(name).suffix.lower()
    media_type = _FIXED_TYPES.get(suffix) or _MEDIA_TYPES.guess_type(name)[0]
    if media_type is None:
        return "application/octet-stream"
    if media_type.startswith("text/") or media_type in _TEXT_TYPES:
        return f"{media_type}; charset=utf-8"
    return media_type


class AssetDirectory:
    """The files under ``root`` as the studio serves them."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    @property
    def root(self) -> Path:
        return self._root

    def find(self, request_path: str) -> Asset:
        """The file a request path names (relative to the root, "/"-separated).

        Raises NotFoundError for a path that leaves the root, names a hidden or missing
        file, or a directory without an index.html.
        """
        parts = [part for part in request_path.split("/") if part]
        if any(part.startswith(".") or "\\" in part or "\x00" in part for part in parts):
            raise NotFoundError(f"no file {request_path!r} in the studio")
        if not parts or request_path.endswith("/"):
            parts.append(INDEX_FILE)
        candidate = self._root.joinpath(*parts)
        if candidate.is_dir():
            candidate = candidate / INDEX_FILE
        resolved = candidate.resolve()
        if not resolved.is_relative_to(self._root) or not resolved.is_file():
            raise NotFoundError(f"no file {request_path!r} in the studio")
        return Asset(
            path=resolved,
            media_type=media_type_of(resolved.name),
            size_bytes=resolved.stat().st_size,
        )

    @staticmethod
    def read(asset: Asset, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        """The file's bytes, ``chunk_bytes`` at a time (at least one piece, maybe empty)."""
        with asset.path.open("rb") as file:
            chunk = file.read(chunk_bytes)
            yield chunk
            while chunk := file.read(chunk_bytes):
                yield chunk
