"""The lyrics service's request and answer, as plain dataclasses (no gRPC here).

``Syllable`` and ``LyricLine`` are the shared musical types of ``services.common.music``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.common.music import LyricLine, Lyrics, LyricsFit, Melody, Syllable

__all__ = ["LyricLine", "Lyrics", "LyricsFit", "LyricsRequest", "Provider", "Syllable"]


class Provider(StrEnum):
    """Who writes the words."""

    LOCAL = "local"  # our own lyricist: no key, no network
    ANTHROPIC = "anthropic"  # Claude
    OPENAI = "openai"  # GPT, or any OpenAI-compatible server (llama.cpp, vLLM, Ollama)
    AUTO = "auto"  # Claude if configured, else OpenAI, else local


@dataclass(frozen=True)
class LyricsRequest:
    """What to write and for which notes.

    Give either ``melody`` (one line per phrase, one syllable per note) or
    ``syllables_per_line``. ``rhyme_scheme`` is a pattern of letters repeated over the
    lines ("AABB", "ABAB", "XAXA" where X never rhymes) or "none"; empty means the
    server's default. ``provider`` empty means the server's default. ``user_lyrics``,
    when given, are sung as written instead of writing new words (lines separated by
    newlines; see ``services.lyrics.user_lyrics``): no provider rewrites them. ``seed``
    makes the local lyricist repeatable. ``rhyme_with``: a word the first rhyme group's
    lines must rhyme with; ``avoid_end_words``: words no line may end on (both local
    lyricist only).
    """

    melody: Melody | None = None
    syllables_per_line: tuple[int, ...] = ()
    theme: str = ""
    mood: str = ""
    genre: str = ""
    language: str = "en"
    rhyme_scheme: str = ""
    provider: str = ""
    user_lyrics: str = ""
    seed: int | None = None
    rhyme_with: str = ""
    avoid_end_words: tuple[str, ...] = ()
