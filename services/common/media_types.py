"""Media types of audio, one per format, wherever a file is served; and the type of a
stored file, told from its first bytes.

Uploads arrive with whatever content type a client chose (often none, or the form's);
when a stored file is served again its type is read from the file itself, with the
signatures of the ``filetype`` package (MIT), not trusted from the upload, and named as
:data:`AUDIO_MEDIA_TYPES` names its format: a take's recording in FLAC is served as the
same ``audio/flac`` as its sung audio converted to FLAC.
"""

from __future__ import annotations

import filetype

UNKNOWN_MEDIA_TYPE = "application/octet-stream"
#: filetype reads at most this many leading bytes.
_SIGNATURE_BYTES = 8192

#: The one media type of each audio format (by its usual file extension), for every
#: file we serve: the registered names (audio/flac: RFC 9639, audio/mpeg: RFC 3003,
#: audio/ogg: RFC 5334, audio/mp4: RFC 4337), audio/wav as browsers name WAV, and for
#: the containers a browser records into (webm, mp4) their audio type: what we store is
#: a recording of a voice. filetype itself says audio/x-wav, audio/x-flac, video/webm.
AUDIO_MEDIA_TYPES: dict[str, str] = {
    "wav": "audio/wav",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "webm": "audio/webm",
    "m4a": "audio/mp4",
    "mp4": "audio/mp4",
    "aac": "audio/aac",
    "aiff": "audio/aiff",
    "midi": "audio/midi",
}


def sniff_media_type(data: bytes) -> str:
    """The media type of an encoded file ("audio/wav", "audio/flac", ...; see
    :data:`AUDIO_MEDIA_TYPES`), or ``application/octet-stream`` when no signature
    matches."""
    kind = filetype.guess(data[:_SIGNATURE_BYTES])
    if kind is None:
        return UNKNOWN_MEDIA_TYPE
    return AUDIO_MEDIA_TYPES.get(kind.extension, kind.mime)
