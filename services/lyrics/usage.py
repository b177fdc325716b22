"""How much less likely a word is in a song because songs on other themes sing it often:
an inverse-frequency prior over the lexicon.

Without it, a few words that fit almost anywhere ("remember", "sea", "glow": a verb that
takes any object, a noun that ends on an open vowel with many rhymes) are sung in one
take in eight whatever the theme, which a listener hears as the lyricist's tic. The
prior is the inverse document frequency of information retrieval (K. Spärck Jones, "A
statistical interpretation of term specificity and its application in retrieval",
Journal of Documentation 28(1), 1972) turned around: instead of weighting a query by
how rare its words are, the lyricist draws a word less often the more takes it is in.

Each word has a factor in (0, 1] (1 when it is not listed): the chance that a song's
palette holds the word, that a frame's own word may be sung, and the weight of a rhyme
found outside the palette are multiplied by it (see ``Vocabulary.palette``,
``LocalLyricist._has_words_of``, ``grammar._choose_nouns``). A word of the request's
own theme, or of the scenes its theme switched on, is never damped: those are the song's
own images however often other songs sing them.

The factors are learned, not chosen: ``python -m bench.word_usage --write`` writes the
local lyricist's takes over a set of training themes (none of them in the lyric-quality
bench's two sets, so those stay a fair test), counts in how many takes each word is
sung outside its own theme and scenes, and lowers the factor of every word above
``TARGET_SHARE`` (``updated_factors``), until the shares settle. It writes
``word_usage.json`` beside this module; run it again after editing the lexicon or the
scenes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

#: The learned factors, written by ``python -m bench.word_usage --write``.
USAGE_PATH = Path(__file__).with_name("word_usage.json")
#: The share of takes (on other themes) a word is brought down to. The issue's bound
#: is 15 % of 20 takes, i.e. 3: a word must be well under it on average for the most
#: frequent of hundreds of words to stay under it in one set of 20.
TARGET_SHARE = 0.025
#: How far one learning step moves a factor towards its target (0: not at all, 1: the
#: whole ratio), so that damping one word and its stand-ins rising settle together.
STEP_POWER = 0.8
#: A word sung in fewer takes than this share of the target counts as sung this often
#: in a learning step: its factor rises by at most (1 / this) ** STEP_POWER a step.
RECOVERY_FLOOR = 0.25
#: Factors this close to 1 are left out of the file.
NEUTRAL = 0.999


@dataclass(frozen=True)
class UsagePrior:
    """Word (lower case, as the lexicon spells it) -> factor in (0, 1]."""

    factors: Mapping[str, float] = field(default_factory=dict)

    def factor(self, text: str) -> float:
        """The word's factor: 1 for a word the prior does not list."""
        return self.factors.get(text, 1.0)


#: The prior with no effect (every factor 1).
NEUTRAL_PRIOR = UsagePrior()
#: Priors set by ``overridden``, innermost last.
_override: list[UsagePrior] = []


def load_prior(path: Path = USAGE_PATH) -> UsagePrior:
    """The prior stored at ``path``.

    Raises RuntimeError, naming the command that writes it, when the file is missing or
    holds a factor outside (0, 1].
    """
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuntimeError(
            f"{path.name} is missing: run python -m bench.word_usage --write"
        ) from None
    factors = {str(text): float(value) for text, value in stored["factors"].items()}
    wrong = sorted(text for text, value in factors.items() if not 0.0 < value <= 1.0)
    if wrong:
        raise RuntimeError(
            f"{path.name} has factors outside (0, 1] for {', '.join(wrong[:5])}: "
            "run python -m bench.word_usage --write"
        )
    return UsagePrior(factors)


@cache
def _stored_prior() -> UsagePrior:
    return load_prior()


def current_prior() -> UsagePrior:
    """The prior the lyricist uses: the stored one (read once), or the one
    ``overridden`` set."""
    return _override[-1] if _override else _stored_prior()


@contextmanager
def overridden(prior: UsagePrior) -> Iterator[None]:
    """Within the block, the lyricist uses ``prior`` (the learner tries its factors so;
    not thread-safe, and not for serving)."""
    _override.append(prior)
    try:
        yield
    finally:
        _override.pop()


def updated_factors(
    factors: Mapping[str, float],
    shares: Mapping[str, float],
    target_share: float = TARGET_SHARE,
) -> dict[str, float]:
    """One learning step: each word's factor times (target / its share of takes) **
    ``STEP_POWER``, at most 1, so that a word sung too often is drawn less and a word
    damped too far recovers. Words whose factor reaches 1 are left out.

    factors: the factors the takes were written with (missing: 1).
    shares: word -> the share of takes (0-1) it was sung in, outside its own theme.
    """
    updated: dict[str, float] = {}
    for text in sorted(set(factors) | set(shares)):
        share = max(shares.get(text, 0.0), target_share * RECOVERY_FLOOR)
        factor = factors.get(text, 1.0) * (target_share / share) ** STEP_POWER
        if factor < NEUTRAL:
            updated[text] = round(factor, 4)
    return updated
