"""Media types of stored files, told from their first bytes.

Uploads arrive with whatever content type a client chose (often none, or the form's);
when a stored file is served again its type is read from the file itself, with the
signatures of the ``filetype`` package (MIT), not trusted from the upload.
"""

from __future__ import annotations

import filetype

UNKNOWN_MEDIA_TYPE = "application/octet-stream"
#: filetype reads at most this many leading bytes.
_SIGNATURE_BYTES = 8192


def sniff_media_type(data: bytes) -> str:
    """The media type of an encoded file (e.g. "audio/x-wav", "video/webm"), or
    ``application/octet-stream`` when no signature matches."""
    kind = filetype.guess(data[:_SIGNATURE_BYTES])
    return kind.mime if kind is not None else UNKNOWN_MEDIA_TYPE
