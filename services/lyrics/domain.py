"""The lyrics service's request and answer, as plain dataclasses (no gRPC here).

``Syllable`` and ``LyricLine`` are the shared musical types of ``services.common.music``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from services.common.music import LyricLine, Melody, Syllable

__all__ = ["FitMetrics", "LyricLine", "Lyrics", "LyricsRequest", "Provider", "Syllable"]


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
    when given, are fitted to the notes instead of writing new words (lines separated
    by newlines). ``seed`` makes the local lyricist repeatable.
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


@dataclass(frozen=True)
class FitMetrics:
    """How well the words fit the notes.

    syllable_match_rate: lines whose syllable count equals their note count, 0..1
        (1.0 in every answer: that is the service's promise).
    raw_syllable_match_rate: the same for the provider's first answer, before repair.
    raw_llm_fit: whether the provider's first answer fitted every line as written
        (always true for the local lyricist).
    rhymes_requested: line ends that the scheme asks to rhyme with an earlier line.
    rhymes_achieved: how many of those do rhyme.
    stress_on_strong_rate: share of strong-beat notes that carry a stressed syllable, 0..1.
    llm_repair_requests: times the LLM was asked again with the exact mismatches.
    locally_repaired_lines: lines that were fixed by our own word swaps after that.
    """

    syllable_match_rate: float
    raw_syllable_match_rate: float
    raw_llm_fit: bool
    rhymes_requested: int
    rhymes_achieved: int
    stress_on_strong_rate: float
    llm_repair_requests: int = 0
    locally_repaired_lines: int = 0


@dataclass(frozen=True)
class Lyrics:
    """The answer: the lines, who wrote them and how well they fit.

    provider: the provider that actually wrote the words ("local", "anthropic", "openai").
    model: the LLM model name ("" for the local lyricist).
    seed: the seed the local lyricist used (give it back to get the same words).
    """

    lines: tuple[LyricLine, ...]
    provider: str
    fit: FitMetrics
    model: str = ""
    seed: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)
