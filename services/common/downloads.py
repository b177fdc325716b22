"""The file name a served file is saved under: an HTTP ``Content-Disposition`` header
(RFC 6266), sent as gRPC initial metadata, which the gateway's transcoder passes on as a
response header (``curl -OJ`` and browsers then save "stars over town.musicxml", not
"musicxml").

A name that is not plain ASCII is given twice, as RFC 6266 section 4.3 advises: an ASCII
``filename`` for old clients and the exact name as ``filename*`` in RFC 8187's UTF-8
encoding.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

#: The metadata key (gRPC keys are lower case).
CONTENT_DISPOSITION_KEY = "content-disposition"
#: The longest stem kept, in characters: file systems allow 255 bytes.
MAX_STEM_CHARS = 80
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9._ ()',-]+")
#: Typographic apostrophes as the ASCII one ("Zoë’s" -> "Zoe's").
_CURLY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'"})
#: Unicode categories never kept in a name: controls, format characters (a right-to-left
#: override that turns "txt.exe" around, zero-width spaces, the BOM), private use,
#: surrogates and line or paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


def file_name(stem: str, extension: str, fallback: str = "download", suffix: str = "") -> str:
    """``stem`` + ``suffix`` + "." + ``extension``, safe on any file system: no path
    separators, quotes, control or invisible characters, at most ``MAX_STEM_CHARS`` of
    stem (the suffix is kept whole); ``fallback`` alone for a stem left empty."""
    visible = "".join(
        char if unicodedata.category(char) not in _INVISIBLE_CATEGORIES else " " for char in stem
    )
    safe = " ".join(_UNSAFE.sub(" ", visible).split())[:MAX_STEM_CHARS].strip(" .")
    return f"{safe}{suffix}.{extension}" if safe else f"{fallback}.{extension}"


def content_disposition(name: str, *, inline: bool = False) -> tuple[tuple[str, str], ...]:
    """The initial metadata naming a response's file ``name`` (made safe by
    ``file_name``): saved as an attachment, or shown in place (``inline``: audio a page
    plays) and saved under that name."""
    kind = "inline" if inline else "attachment"
    plain = _plain(name)
    value = f'{kind}; filename="{plain}"'
    if plain != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return ((CONTENT_DISPOSITION_KEY, value),)


def _plain(name: str) -> str:
    """``name`` in ASCII: accents dropped ("Zoë’s" -> "Zoe's"), any other character a
    "-"."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    letters = "".join(
        char
        for char in unicodedata.normalize("NFKD", stem.translate(_CURLY))
        if not unicodedata.combining(char)
    )
    plain = " ".join(_NOT_ASCII_NAME.sub("-", letters).split()).strip(" -.") or "download"
    return f"{plain}{dot}{extension}"
