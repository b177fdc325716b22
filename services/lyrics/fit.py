"""Making any provider's lines fit the notes: count, re-ask, then repair locally.

LLMs (and people) miss exact syllable counts. Every line is counted with the
dictionary; lines that miss are sent back to the LLM once with the exact mismatch
("line 3 has 9 syllables, needs 7"), and whatever still misses is repaired here with
the local lyricist's tools, smallest change first:

1. drop filler words ("just", "oh", "so") worth the surplus;
2. add a sung interjection ("oh,") for a shortfall of one or two syllables;
3. swap one word for a bank word of the same kind and the right length;
4. keep the line's opening words and let the local lyricist write the rest, ending on
   the original last word (or a rhyme of it) so that rhymes survive;
5. as a last resort write the whole line locally, which always fits.

So every answer fits its notes, whichever provider wrote it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from services.lyrics.domain import LyricLine
from services.lyrics.local import LINE_ENDINGS, LocalLyricist
from services.lyrics.plan import LinePlan, SyllablePlan
from services.lyrics.pronunciation import pronounce
from services.lyrics.rhyme import rhyme_partners
from services.lyrics.syllables import count_syllables, line_fits, to_lyric_line
from services.lyrics.text import words_of
from services.lyrics.vocabulary import Word

#: Words a line can lose without losing its sense.
_DROPPABLE_WORDS_TEXT = """
    oh ooh yeah hey just so really very still now then ever even baby all and but
    little only
"""
DROPPABLE_WORDS = frozenset(_DROPPABLE_WORDS_TEXT.split())
#: Longest shortfall made up with interjections ("oh, oh, ...").
MAX_INTERJECTIONS = 2
#: Opening words kept when the rest of a line is rewritten leave at least this many
#: syllables for the rewrite.
MIN_REWRITTEN_SYLLABLES = 3


@dataclass(frozen=True)
class Mismatch:
    """A line that does not fit: what was written, what it counts, what it needs."""

    line_index: int
    text: str
    counted: int
    expected: int


@dataclass(frozen=True)
class FitResult:
    """Fitted lines plus how much fixing they took."""

    lines: tuple[LyricLine, ...]
    raw_fit: bool
    raw_match_rate: float
    llm_repair_requests: int
    locally_repaired_lines: int


#: Asks the LLM again with the mismatches; returns all lines anew, or None if it failed.
Reask = Callable[[Sequence[str], Sequence[Mismatch]], Sequence[str] | None]


def mismatches(lines: Sequence[str], plan: SyllablePlan) -> list[Mismatch]:
    """The planned lines whose text does not fit (missing lines count as empty)."""
    found = []
    for index, line_plan in enumerate(plan.lines):
        text = lines[index] if index < len(lines) else ""
        if not line_fits(text, line_plan.syllable_count):
            found.append(Mismatch(index, text, count_syllables(text), line_plan.syllable_count))
    return found


def fit_lines(
    raw_lines: Sequence[str],
    plan: SyllablePlan,
    labels: Sequence[str],
    lyricist: LocalLyricist,
    *,
    reask: Reask | None = None,
) -> FitResult:
    """Lines that fit ``plan`` exactly, made from ``raw_lines`` with as little change
    as possible (see the module docstring)."""
    lines = [raw_lines[i] if i < len(raw_lines) else "" for i in range(len(plan.lines))]
    missed = mismatches(lines, plan)
    raw_fit = not missed and len(raw_lines) == len(plan.lines)
    raw_rate = 1.0 - len(missed) / len(plan.lines)
    requests = 0
    if missed and reask is not None:
        requests = 1
        answer = reask(lines, missed)
        if answer is not None:
            # Keep the new text only where it fits now or the old text was missing.
            for miss in missed:
                index = miss.line_index
                new = answer[index] if index < len(answer) else ""
                if line_fits(new, miss.expected) or (not lines[index].strip() and new.strip()):
                    lines[index] = new
    repaired = 0
    fitted: list[LyricLine] = []
    partners = rhyme_partners(labels)
    for index, line_plan in enumerate(plan.lines):
        text = lines[index]
        if not line_fits(text, line_plan.syllable_count):
            partner = partners[index]
            rhyme_with = _last_word(fitted[partner].text) if partner is not None else ""
            text = repair_line(text, line_plan, lyricist, rhyme_with=rhyme_with)
            repaired += 1
        fitted_line = to_lyric_line(text, line_plan, labels[index])
        if fitted_line is None:  # pragma: no cover - repair_line only returns fitting text
            raise AssertionError(f"repair left {text!r} unfit for {line_plan.syllable_count}")
        fitted.append(fitted_line)
    return FitResult(tuple(fitted), raw_fit, raw_rate, requests, repaired)


def repair_line(text: str, line: LinePlan, lyricist: LocalLyricist, *, rhyme_with: str = "") -> str:
    """``text`` changed as little as possible to have exactly the line's syllables.

    rhyme_with: the word an earlier line ends on that this line should rhyme with; a
    rewritten ending keeps the original last word if it can, else rhymes with this.
    """
    target = line.syllable_count
    words = text.split()
    for attempt in (_drop_fillers, _add_interjections, _swap_one_word):
        repaired = attempt(words, target, lyricist)
        if repaired is not None and line_fits(repaired, target):
            return repaired
    return _rewrite_tail(words, line, lyricist, rhyme_with)


def _drop_fillers(words: list[str], target: int, _: LocalLyricist) -> str | None:
    surplus = count_syllables(" ".join(words)) - target
    if surplus <= 0:
        return None
    droppable = [i for i, w in enumerate(words) if _bare(w) in DROPPABLE_WORDS]
    for size in range(1, min(len(droppable), 4) + 1):
        for dropped in itertools.combinations(droppable, size):
            kept = [w for i, w in enumerate(words) if i not in dropped]
            if kept and line_fits(" ".join(kept), target):
                return _capitalize(" ".join(kept))
    return None


def _add_interjections(words: list[str], target: int, _: LocalLyricist) -> str | None:
    shortfall = target - count_syllables(" ".join(words))
    if not words or not 0 < shortfall <= MAX_INTERJECTIONS:
        return None
    first = words[0] if words[0] == "I" or words[0][:2].isupper() else words[0].lower()
    return "Oh, " * shortfall + " ".join([first, *words[1:]])


def _swap_one_word(words: list[str], target: int, lyricist: LocalLyricist) -> str | None:
    difference = target - count_syllables(" ".join(words))
    vocabulary = lyricist.vocabulary
    # The last word stays: it may carry a rhyme.
    for index in range(len(words) - 1):
        bare = _bare(words[index])
        for part_of_speech in ("noun", "adj", "verb", "tverb"):
            size = pronounce(bare).syllable_count
            if not any(w.text == bare for w in vocabulary.words(part_of_speech, size)):
                continue
            wanted = size + difference
            if wanted < 1 or not vocabulary.words(part_of_speech, wanted):
                continue
            strong = [True] * wanted
            swap = vocabulary.choose(part_of_speech, wanted, strong, lyricist.rng, {bare})
            replaced = [*words[:index], _same_case(swap.text, words[index]), *words[index + 1 :]]
            return " ".join(replaced)
    return None


def _rewrite_tail(
    words: list[str], line: LinePlan, lyricist: LocalLyricist, rhyme_with: str
) -> str:
    """Keep the opening words that fit, write the rest locally (ending as the original
    did, or on a rhyme of it)."""
    target = line.syllable_count
    kept: list[str] = []
    total = 0
    for word in words:
        size = count_syllables(word)
        if total + size > target - MIN_REWRITTEN_SYLLABLES:
            break
        kept.append(word)
        total += size
    rest = target - total
    ending = _ending_like(words, rest, lyricist, rhyme_with)
    tail = lyricist.compose(rest, line.strong[total:], ending)
    if not kept:
        return tail.text
    # "I" and names ("Paris") keep their capital.
    keep = tail.words[0][:1].isupper()
    tail_text = tail.text if keep else tail.text[:1].lower() + tail.text[1:]
    return f"{' '.join(kept).rstrip(',;:')}, {tail_text}"


def _ending_like(
    words: Sequence[str], max_size: int, lyricist: LocalLyricist, rhyme_with: str
) -> list[Word]:
    """Vocabulary words to end a rewritten line on: the original last word, else rhymes
    of ``rhyme_with``, else rhymes of the original last word."""
    last = _last_word(" ".join(words))
    size = pronounce(last).syllable_count if last else 0
    endings = [
        word
        for part_of_speech in LINE_ENDINGS
        for word in lyricist.vocabulary.words(part_of_speech, size)
        if word.text == last and word.text != rhyme_with and size <= max_size
    ]
    for target in (rhyme_with, last):
        if endings or not target:
            continue
        rhyme = pronounce(target).rhyme
        endings = [
            word
            for word in lyricist.vocabulary.rhymes(rhyme)
            if word.part_of_speech in LINE_ENDINGS and word.size <= max_size and word.text != target
        ]
    return endings


def _last_word(text: str) -> str:
    spoken = words_of(text)
    return spoken[-1] if spoken else ""


def _bare(word: str) -> str:
    spoken = words_of(word)
    return spoken[0] if spoken else ""


def _same_case(new: str, old: str) -> str:
    return new.capitalize() if old[:1].isupper() else new


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
