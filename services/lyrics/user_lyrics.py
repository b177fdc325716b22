"""The user's own words on the notes: sung as written, never rewritten.

No provider and no repair step touches user lyrics (an LLM is never asked to "adapt"
them). The words read by :mod:`services.lyrics.text` are laid on the syllable plan:

1. **Lines to phrases.** One line per phrase when the counts match. Otherwise the words
   are spread over the phrases in order, each phrase getting at least one word and no
   more syllables than notes, as evenly as the words allow (a warning says so).
2. **Pronunciations.** A word that may be said with more syllables ("fire" as one or
   two) takes the count that fills its phrase exactly if there is one; otherwise each
   word is said the usual way (see ``pronunciation.pronounce``).
3. **Melismas.** When a phrase has more notes than the words have syllables, syllables
   are held over several notes (``Syllable.note_count``), never padded with invented
   words. Each extra note goes to the syllable that gains most from holding it: the
   phrase's last syllable first (singers hold the end of a line), then stressed
   syllables and long vowels; a syllable's gain halves as its melisma grows
   (``log2`` of its note count), so long phrases spread their melismas instead of
   piling every note onto one syllable. Each melisma is named in a warning.
4. **Too many syllables** is an error that says how many do not fit and where.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from services.lyrics.domain import LyricLine, Syllable
from services.lyrics.errors import LyricsInputError
from services.lyrics.plan import LinePlan, SyllablePlan
from services.lyrics.pronunciation import Pronunciation, pronounce
from services.lyrics.syllables import fit_pronunciations, spell_syllables
from services.lyrics.text import SungWord, UserLine, UserText

#: Vowels sung long (diphthongs and tense vowels): good places to hold a note.
LONG_VOWELS = frozenset(["AA", "AO", "AW", "AY", "ER", "EY", "IY", "OW", "OY", "UW"])
#: How much holding each kind of syllable is worth (see the module docstring).
HOLD_WEIGHT_BASE = 0.25
HOLD_WEIGHT_LINE_END = 1.0
HOLD_WEIGHT_STRESSED = 0.5
HOLD_WEIGHT_LONG_VOWEL = 0.5


@dataclass(frozen=True)
class _Token:
    """Words of one token of the user's text ("2024" is three): they stay together."""

    words: tuple[SungWord, ...]
    line_number: int

    @property
    def syllable_count(self) -> int:
        return sum(pronounce(word.lookup).syllable_count for word in self.words)


@dataclass(frozen=True)
class _Group:
    """The words sung on one planned line, and the text shown for them."""

    tokens: tuple[_Token, ...]
    text: str

    @property
    def words(self) -> list[SungWord]:
        return [word for token in self.tokens for word in token.words]

    @property
    def syllable_count(self) -> int:
        return sum(token.syllable_count for token in self.tokens)


def fit_user_lyrics(
    text: UserText, plan: SyllablePlan, labels: Sequence[str]
) -> tuple[tuple[LyricLine, ...], list[str]]:
    """The user's words on every planned line, and warnings for what was arranged.

    Raises:
        LyricsInputError: a line (or the whole text) has more syllables than its notes,
            saying how many do not fit and where; or fewer words than phrases.
    """
    tokens_by_line = [_tokens(line, number) for number, line in enumerate(text.lines)]
    warnings: list[str] = []
    if len(text.lines) == len(plan.lines):
        groups = [
            _Group(tuple(tokens), line.text)
            for tokens, line in zip(tokens_by_line, text.lines, strict=True)
        ]
        _check_lines(groups, plan)
    else:
        groups = _spread([t for tokens in tokens_by_line for t in tokens], plan, text)
        warnings.append(
            f"the lyrics have {_count(len(text.lines), 'line')} and the melody "
            f"{_count(len(plan.lines), 'phrase')}: the words were spread over the phrases"
        )
    lines = []
    for number, (group, line_plan) in enumerate(zip(groups, plan.lines, strict=True)):
        line, melismas = _sung_line(group, line_plan, labels[number])
        lines.append(line)
        if melismas:
            held = ", ".join(f"'{text}' over {count} notes" for text, count in melismas)
            warnings.append(
                f"{_line_name(number, len(groups))} has "
                f"{_count(len(line.syllables), 'syllable')} for "
                f"{line_plan.syllable_count} notes, so syllables are held (melisma): {held}"
            )
    return tuple(lines), warnings


def _tokens(line: UserLine, line_number: int) -> list[_Token]:
    """The line's sung words in groups that no line break may split: the words said
    for one piece of text written without a space ("5km" is "five kilometers", "1e6"
    "one e six"), which a line shows whole."""
    tokens: list[list[SungWord]] = []
    for word in line.words:
        if tokens and not any(
            character.isspace() for character in line.text[tokens[-1][-1].end : word.start]
        ):
            tokens[-1].append(word)
        else:
            tokens.append([word])
    return [_Token(tuple(group), line_number) for group in tokens]


def _check_lines(groups: Sequence[_Group], plan: SyllablePlan) -> None:
    problems = []
    for number, (group, line_plan) in enumerate(zip(groups, plan.lines, strict=True)):
        chosen = _pronunciations(group.words, line_plan.syllable_count)
        syllables = sum(p.syllable_count for p in chosen)
        surplus = syllables - line_plan.syllable_count
        if surplus > 0:
            pieces = _pieces(group.words, chosen)[-surplus:]
            problems.append(
                f"{_line_name(number, len(groups))} ('{group.text}') has {syllables} "
                f"syllables but its phrase has {_count(line_plan.syllable_count, 'note')}: "
                f"{_count(surplus, 'syllable')} "
                f"({' '.join(pieces)}) {'does' if surplus == 1 else 'do'} not fit"
            )
    if problems:
        raise LyricsInputError(
            "; ".join(problems) + ". Shorten the line or sing it with more notes"
        )


def _spread(tokens: Sequence[_Token], plan: SyllablePlan, text: UserText) -> list[_Group]:
    """Tokens cut into one group per planned line: each group at least one token and no
    more syllables than notes, the groups' syllables as close to proportional to their
    notes as possible (dynamic programming over cut points)."""
    notes = [line.syllable_count for line in plan.lines]
    sizes = [token.syllable_count for token in tokens]
    total_notes, total_syllables = sum(notes), sum(sizes)
    if total_syllables > total_notes:
        surplus = total_syllables - total_notes
        kept, first_unfit = 0, len(tokens)
        for index, size in enumerate(sizes):
            if kept + size > total_notes:
                first_unfit = index
                break
            kept += size
        raise LyricsInputError(
            f"the lyrics have {_count(total_syllables, 'syllable')} but the melody has "
            f"{_count(total_notes, 'note')}: {_count(surplus, 'syllable')} "
            f"{'does' if surplus == 1 else 'do'} not fit "
            f"(from '{tokens[first_unfit].words[0].source}' on). Shorten the lyrics or sing "
            "more notes"
        )
    if len(tokens) < len(notes):
        raise LyricsInputError(
            f"the melody has {_count(len(notes), 'phrase')} but the lyrics have only "
            f"{_count(len(tokens), 'word')}: every phrase needs at least one word (give one "
            "line per phrase, or more words)"
        )
    ratio = total_syllables / total_notes
    # cost[p][k]: best cost of the first p lines holding the first k tokens; cut[p][k]:
    # where line p-1 starts in that best arrangement.
    infinity = math.inf
    cost = [[infinity] * (len(tokens) + 1) for _ in range(len(notes) + 1)]
    cut = [[0] * (len(tokens) + 1) for _ in range(len(notes) + 1)]
    cost[0][0] = 0.0
    for line, capacity in enumerate(notes):
        for start in range(line, len(tokens)):
            if cost[line][start] == infinity:
                continue
            filled = 0
            for end in range(start + 1, len(tokens) + 1):
                filled += sizes[end - 1]
                if filled > capacity:
                    break
                candidate = cost[line][start] + (filled - ratio * capacity) ** 2
                if candidate < cost[line + 1][end]:
                    cost[line + 1][end] = candidate
                    cut[line + 1][end] = start
    if cost[len(notes)][len(tokens)] == infinity:
        raise LyricsInputError(
            "the lyrics' words cannot be spread over the melody's phrases without a word "
            "crossing a phrase break; give one line per phrase"
        )
    bounds = [len(tokens)]
    for line in range(len(notes), 0, -1):
        bounds.append(cut[line][bounds[-1]])
    bounds.reverse()
    return [
        _Group(tuple(tokens[start:end]), _shown_text(tokens[start:end], text))
        for start, end in itertools.pairwise(bounds)
    ]


def _shown_text(tokens: Sequence[_Token], text: UserText) -> str:
    """The user's text of the tokens, with the punctuation that follows each."""
    pieces: list[str] = []
    for line_number in dict.fromkeys(token.line_number for token in tokens):
        own = [token for token in tokens if token.line_number == line_number]
        line_text = text.lines[line_number].text
        start, end = own[0].words[0].start, own[-1].words[0].end
        while end < len(line_text) and not line_text[end].isspace():
            end += 1
        pieces.append(line_text[start:end])
    return " ".join(pieces)


def _pronunciations(words: Sequence[SungWord], note_count: int) -> list[Pronunciation]:
    lookups = [word.lookup for word in words]
    exact = fit_pronunciations(lookups, note_count)
    return exact if exact is not None else [pronounce(lookup) for lookup in lookups]


def _pieces(words: Sequence[SungWord], chosen: Sequence[Pronunciation]) -> list[str]:
    return [
        piece
        for word, pronunciation in zip(words, chosen, strict=True)
        for piece in spell_syllables(word.text, pronunciation.syllable_count)
    ]


def _sung_line(
    group: _Group, line_plan: LinePlan, label: str
) -> tuple[LyricLine, list[tuple[str, int]]]:
    words = group.words
    chosen = _pronunciations(words, line_plan.syllable_count)
    syllables: list[Syllable] = []
    for word, pronunciation in zip(words, chosen, strict=True):
        pieces = spell_syllables(word.text, pronunciation.syllable_count)
        for position, (piece, phonemes, stressed) in enumerate(
            zip(pieces, pronunciation.syllables, pronunciation.stresses, strict=True)
        ):
            syllables.append(
                Syllable(
                    text=piece,
                    note_index=0,
                    phonemes=phonemes,
                    stressed=stressed,
                    starts_word=word.starts_word and position == 0,
                )
            )
    counts = melisma_counts(syllables, line_plan.syllable_count)
    placed: list[Syllable] = []
    melismas: list[tuple[str, int]] = []
    position = 0
    for syllable, count in zip(syllables, counts, strict=True):
        placed.append(
            Syllable(
                text=syllable.text,
                note_index=line_plan.note_indices[position],
                note_count=count,
                phonemes=syllable.phonemes,
                stressed=syllable.stressed,
                starts_word=syllable.starts_word,
            )
        )
        if count > 1:
            melismas.append((syllable.text, count))
        position += count
    return (
        LyricLine(group.text, tuple(placed), line_plan.phrase_index, label, user_written=True),
        melismas,
    )


def melisma_counts(syllables: Sequence[Syllable], note_count: int) -> list[int]:
    """How many notes each syllable is sung on, adding up to ``note_count``.

    Every syllable gets one note; each extra note goes to the syllable whose weight
    times the growth of ``log2(notes held)`` is largest (ties: the later syllable).

    Raises:
        ValueError: more syllables than notes, or no syllables.
    """
    if not syllables or len(syllables) > note_count:
        raise ValueError(f"{len(syllables)} syllables cannot fill {note_count} notes")
    weights = [
        HOLD_WEIGHT_BASE
        + HOLD_WEIGHT_LINE_END * (index == len(syllables) - 1)
        + HOLD_WEIGHT_STRESSED * syllable.stressed
        + HOLD_WEIGHT_LONG_VOWEL * _has_long_vowel(syllable)
        for index, syllable in enumerate(syllables)
    ]
    counts = [1] * len(syllables)

    def gain(index: int) -> float:
        held = counts[index]
        return weights[index] * (math.log2(held + 1) - math.log2(held))

    heap = [(-gain(index), -index) for index in range(len(syllables))]
    heapq.heapify(heap)
    for _ in range(note_count - len(syllables)):
        _, negative_index = heapq.heappop(heap)
        index = -negative_index
        counts[index] += 1
        heapq.heappush(heap, (-gain(index), negative_index))
    return counts


def _has_long_vowel(syllable: Syllable) -> bool:
    return any(phoneme[:2] in LONG_VOWELS for phoneme in syllable.phonemes)


def _line_name(index: int, line_count: int) -> str:
    """How a message names the line at ``index``: "line 2", counted from 1 as people
    read (README, Editable takes), or "the line" when there is only one: a revision fits
    each replaced line on its own, and names it by its place in the take."""
    return f"line {index + 1}" if line_count > 1 else "the line"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
