"""The local lyricist: lines that fit the notes exactly, with no key and no network.

A line is one or more clauses from ``grammar.TEMPLATES`` ("we dance beneath the moon,
the night is cold"). Its syllable count is exact by construction: the clause lengths add
up to the line's note count, and each clause is filled with words of exactly the
syllables it needs. Rhyming lines pick their last word first: the first line of a rhyme
group takes a word with enough rhyme partners in the vocabulary, the later lines take
those partners. Several candidate lines are written and the one whose stresses best
meet the strong notes (and that says most about the theme) is kept.

The theme shows in the words by construction, not only by chance: the first line holds
one of the theme's own words ("coffee", "Paris", "robot") and every other line one of
them or a close associate ("cup", "cafe"), put into a slot of its part of speech; the
lines between are free and merely lean towards themed words.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from services.lyrics import grammar
from services.lyrics.plan import LinePlan, SyllablePlan
from services.lyrics.pronunciation import pronounce
from services.lyrics.rhyme import rhyme_partners
from services.lyrics.vocabulary import Vocabulary, Word, stress_matches

#: Candidate lines written per line; the best is kept.
CANDIDATES_PER_LINE = 6
#: More for a line that must hold a theme word, whose place is less free.
CANDIDATES_PER_THEMED_LINE = 10
#: Lines longer than this are split into clauses of natural length.
LONGEST_SINGLE_CLAUSE = 9
NATURAL_CLAUSE_LENGTHS = (4, 7)
#: Relative chance of ending a line on a word the song has used already.
REUSED_END_WORD_WEIGHT = 0.1
#: Parts of speech a line may end on (the templates' last slots).
LINE_ENDINGS = ("noun", "adj", "verb", "name")
#: Chance that a line which must be themed gets a close associate rather than a word of
#: the theme itself (when the theme switched on a topic).
ASSOCIATE_SHARE = 0.5


@dataclass(frozen=True)
class ComposedLine:
    """A written line: its words and the word it ends on (for rhymes)."""

    words: tuple[str, ...]
    text: str
    end_word: Word | None
    content_words: frozenset[str] = frozenset()


class LocalLyricist:
    """Writes lines of exact syllable counts from one vocabulary and one random source."""

    def __init__(self, vocabulary: Vocabulary, rng: random.Random) -> None:
        self.vocabulary = vocabulary
        self.rng = rng
        self._used: set[str] = set()  # content words of earlier lines, to vary the song
        self._themed = {word.text for word in vocabulary.themed_words}
        self._core = {word.text for word in vocabulary.core_words}
        self._associates = [
            word for word in vocabulary.themed_words if word.text in vocabulary.associates
        ]
        self._theme_uses: dict[str, int] = {}
        self._room: dict[tuple[str, int, str, int, int], bool] = {}
        self._lengths: dict[tuple[grammar.Template, int, str, int], set[int]] = {}

    def write(self, plan: SyllablePlan, labels: Sequence[str]) -> list[ComposedLine]:
        """One line per planned line; lines with the same label rhyme (see rhyme.py)."""
        partners = rhyme_partners(labels)
        lines: list[ComposedLine] = []
        for index, line_plan in enumerate(plan.lines):
            partner = partners[index]
            partner_end = lines[partner].end_word if partner is not None else None
            end_candidates: list[Word] | None = None
            if partner_end is not None:
                end_candidates = self.rhyme_candidates(
                    partner_end, lines, labels, labels[index], line_plan
                )
            elif labels[index] and partner is None:
                later = [
                    plan.lines[j]
                    for j in range(index + 1, len(plan.lines))
                    if labels[j] == labels[index]
                ]
                end_candidates = self.group_openers(line_plan, later)
            lines.append(
                self.compose(
                    line_plan.syllable_count,
                    line_plan.strong,
                    end_candidates,
                    theme_words=self.theme_words_for(index),
                )
            )
        return lines

    def theme_words_for(self, index: int) -> list[Word]:
        """Words line ``index`` must contain one of: the theme's own words for the first
        line (and for each next one until a line could hold one), those or their
        associates for every second line, none for the others."""
        core = list(self.vocabulary.core_words)
        if core and not self._theme_uses.keys() & self._core:
            return core
        if index % 2:
            return []
        if self._associates and (not core or self.rng.random() < ASSOCIATE_SHARE):
            return self._associates
        return core

    def compose(
        self,
        syllables: int,
        strong: Sequence[bool],
        end_candidates: Sequence[Word] | None = None,
        theme_words: Sequence[Word] = (),
    ) -> ComposedLine:
        """The best of several candidate lines of exactly ``syllables`` syllables.

        end_candidates: words the line may end on (rhymes); None = any word; an empty
        list (no rhyme fits) also means any word.
        theme_words: the line holds one of these where any fits (none may: a theme word
            longer than the line); empty = no such demand.
        """
        wanted = {word.text for word in theme_words}
        candidates = [
            self._candidate(
                syllables, strong, end_candidates or None, self._pick_theme_word(theme_words)
            )
            for _ in range(CANDIDATES_PER_THEMED_LINE if wanted else CANDIDATES_PER_LINE)
        ]
        best = max(
            candidates,
            key=lambda line: (
                not wanted or bool(wanted & set(line.words)),
                self._score(line, strong),
            ),
        )
        self._used.update(best.content_words)
        for text in set(best.words) & (self._core | wanted):
            self._theme_uses[text] = self._theme_uses.get(text, 0) + 1
        return best

    def _pick_theme_word(self, words: Sequence[Word]) -> Word | None:
        """One of ``words``, those used least in the song so far likelier."""
        if not words:
            return None
        weights = [1.0 / (1 + self._theme_uses.get(word.text, 0)) ** 2 for word in words]
        return self.rng.choices(list(words), weights)[0]

    def group_openers(self, first: LinePlan, later: Sequence[LinePlan]) -> list[Word]:
        """Words the first line of a rhyme group may end on: each has a distinct rhyme
        partner, short enough, for every later line of the group."""
        partner_size = min((line.syllable_count for line in later), default=first.syllable_count)
        openers = []
        for word in self._ending_words(first.syllable_count):
            partners = {
                other.text
                for other in self.vocabulary.rhymes(word.rhyme)
                if other.part_of_speech in LINE_ENDINGS
                and other.size <= partner_size
                and other.text != word.text
            }
            if len(partners) >= len(later):
                openers.append(word)
        return openers

    def rhyme_candidates(
        self,
        rhyme_of: Word,
        lines: Sequence[ComposedLine],
        labels: Sequence[str],
        label: str,
        line_plan: LinePlan,
    ) -> list[Word]:
        """Words that rhyme with ``rhyme_of``, fit the line, and end no line of the group."""
        taken = {
            line.end_word.text
            for line, other in zip(lines, labels, strict=False)
            if other == label and line.end_word is not None
        }
        return [
            word
            for word in self.vocabulary.rhymes(rhyme_of.rhyme)
            if word.part_of_speech in LINE_ENDINGS
            and word.size <= line_plan.syllable_count
            and word.text not in taken
        ]

    def _ending_words(self, max_size: int) -> list[Word]:
        return [
            word
            for pos in LINE_ENDINGS
            for size in self.vocabulary.sizes(pos)
            if size <= max_size
            for word in self.vocabulary.words(pos, size)
        ]

    def _candidate(
        self,
        syllables: int,
        strong: Sequence[bool],
        end_candidates: Sequence[Word] | None,
        include: Word | None = None,
    ) -> ComposedLine:
        lengths = self._clause_lengths(syllables)
        end_word = None
        if end_candidates:
            if include is not None:
                end_candidates = self._endings_with_room(end_candidates, include, syllables)
            end_word = self._pick_end_word(end_candidates, strong)
        final_template, final_length = self._final_clause(lengths[-1], syllables, end_word)
        leading = self._clause_lengths(syllables - final_length) if final_length < syllables else []
        if end_word is not None and include is not None and end_word.text == include.text:
            include = None  # the rhyme already brings it
        host, host_templates = self._host(include, leading, final_length, end_word)
        if host == len(leading):
            final_template = self._weighted(host_templates)
        avoid = set(self._used)
        clauses: list[list[str]] = []
        position = 0
        for index, length in enumerate(leading):
            here = include if index == host else None
            template = self._weighted(host_templates) if here else self._template_for(length)
            words = grammar.fill(
                template,
                length,
                strong[position:],
                self.vocabulary,
                self.rng,
                avoid=avoid,
                include=here,
            )
            if words is None:  # pragma: no cover - _template_for only offers fitting ones
                raise AssertionError(f"{template.pattern} cannot make {length} syllables")
            clauses.append(words)
            position += length
        final = grammar.fill(
            final_template,
            final_length,
            strong[position:],
            self.vocabulary,
            self.rng,
            end_word=end_word,
            avoid=avoid,
            include=include if host == len(leading) else None,
        )
        if final is None:  # pragma: no cover - _final_clause only offers fitting ones
            raise AssertionError(f"{final_template.pattern} cannot make {final_length}")
        clauses.append(final)
        if end_word is None:
            end_word = self._word_for(final[-1], final_template.ending)
        return ComposedLine(
            tuple(word for clause in clauses for word in clause),
            _sentence(clauses),
            end_word,
            frozenset(avoid - self._used),
        )

    def _host(
        self,
        include: Word | None,
        leading: Sequence[int],
        final_length: int,
        end_word: Word | None,
    ) -> tuple[int | None, list[grammar.Template]]:
        """Which clause takes ``include`` (an index into the clauses) and the templates
        that can hold it there; (None, []) when none can."""
        if include is None:
            return None, []
        options: list[tuple[int, list[grammar.Template]]] = []
        for index, length in enumerate(leading):
            fitting = [t for t in grammar.TEMPLATES if length in self._achievable(t, 0, include)]
            if fitting:
                options.append((index, fitting))
        ending = end_word.part_of_speech if end_word else None
        end_size = end_word.size if end_word else 0
        fitting = [
            t
            for t in grammar.TEMPLATES
            if ending in (None, t.ending) and final_length in self._achievable(t, end_size, include)
        ]
        if fitting:
            options.append((len(leading), fitting))
        if not options:
            return None, []
        return self.rng.choice(options)

    def _endings_with_room(
        self, candidates: Sequence[Word], include: Word, syllables: int
    ) -> Sequence[Word]:
        """The end words that leave a one-clause line room for ``include`` (or are
        ``include``); all of them when none does, or when the line is long enough for
        several clauses."""
        if syllables > LONGEST_SINGLE_CLAUSE:
            return candidates
        fitting = [
            word
            for word in candidates
            if word.text == include.text
            or self._room_for(include, word.part_of_speech, word.size, syllables)
        ]
        return fitting or candidates

    def _room_for(self, include: Word, ending: str, end_size: int, syllables: int) -> bool:
        """Whether one clause of ``syllables`` can hold ``include`` and end on a word of
        this part of speech and size."""
        key = (include.part_of_speech, include.size, ending, end_size, syllables)
        if key not in self._room:
            self._room[key] = any(
                template.ending == ending
                and syllables in self._achievable(template, end_size, include)
                for template in grammar.TEMPLATES
            )
        return self._room[key]

    def _weighted(self, templates: Sequence[grammar.Template]) -> grammar.Template:
        return self.rng.choices(list(templates), [t.weight for t in templates])[0]

    def _pick_end_word(self, candidates: Sequence[Word], strong: Sequence[bool]) -> Word:
        weights = [
            word.weight
            * 3.0 ** stress_matches(word.stresses, strong[len(strong) - word.size :])
            * (REUSED_END_WORD_WEIGHT if word.text in self._used else 1.0)
            for word in candidates
        ]
        return self.rng.choices(list(candidates), weights)[0]

    def _final_clause(
        self, planned: int, syllables: int, end_word: Word | None
    ) -> tuple[grammar.Template, int]:
        """A template that can end the line, and its length: ``planned`` if possible,
        else the nearest length (at most the whole line) that it can make."""
        ending = end_word.part_of_speech if end_word else None
        end_size = end_word.size if end_word else 0
        options = [
            (template, length)
            for template in grammar.TEMPLATES
            if ending in (None, template.ending)
            for length in self._achievable(template, end_size)
            if length <= syllables
        ]
        if not options:
            raise AssertionError(f"no clause ends on {end_word} within {syllables} syllables")
        best_distance = min(abs(length - planned) for _, length in options)
        nearest = [option for option in options if abs(option[1] - planned) == best_distance]
        return self.rng.choices(nearest, [template.weight for template, _ in nearest])[0]

    def _template_for(self, length: int) -> grammar.Template:
        fitting = [t for t in grammar.TEMPLATES if length in self._achievable(t, 0)]
        return self.rng.choices(fitting, [t.weight for t in fitting])[0]

    def _achievable(
        self, template: grammar.Template, end_size: int, include: Word | None = None
    ) -> set[int]:
        key = (
            template,
            end_size,
            *((include.part_of_speech, include.size) if include else ("", 0)),
        )
        if key not in self._lengths:
            self._lengths[key] = grammar.achievable_lengths(
                template, self.vocabulary, end_size, include
            )
        return self._lengths[key]

    def _clause_lengths(self, syllables: int) -> list[int]:
        """Split a line into clauses of natural length (the last at least 3 long)."""
        lengths, remaining = [], syllables
        while remaining > LONGEST_SINGLE_CLAUSE:
            length = self.rng.randint(*NATURAL_CLAUSE_LENGTHS)
            lengths.append(length)
            remaining -= length
        lengths.append(remaining)
        return lengths

    def _word_for(self, text: str, part_of_speech: str) -> Word:
        for word in self.vocabulary.words(part_of_speech, pronounce(text).syllable_count):
            if word.text == text:
                return word
        raise AssertionError(f"{text!r} is not in the vocabulary")  # pragma: no cover

    def _score(self, line: ComposedLine, strong: Sequence[bool]) -> float:
        stresses = [s for word in line.words for s in pronounce(word).stresses]
        stress_fit = stress_matches(stresses, strong) / max(len(strong), 1)
        themed = len(line.content_words & self._themed)
        core = len(line.content_words & self._core)
        repeats = len(set(line.words) & self._used)
        return stress_fit + 0.1 * themed + 0.1 * core - 0.1 * repeats


def _sentence(clauses: Sequence[Sequence[str]]) -> str:
    text = ", ".join(" ".join(clause) for clause in clauses)
    return text[:1].upper() + text[1:]
