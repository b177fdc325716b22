"""The local lyricist: lines that fit the notes exactly, with no key and no network.

A line is one or more clauses, each a frame of ``grammar.FRAMES`` filled with words
that agree ("the last train leaves the station", not "our electric storm will pray").
Its syllable count is exact by construction, and of several candidate lines the one
whose stresses best meet the strong notes, that carries the theme (on long notes and
line ends, where it is heard) and repeats least of what the song said already is kept.

The song's form comes from the melody (``SyllablePlan.repeat_of``): a phrase that
repeats an earlier one gets the earlier words again (a refrain), or, where the rhyme
scheme asks the two lines to rhyme with each other, the earlier line's head with a new,
rhyming ending (a hook). Lines that must rhyme (by the scheme, or because a refrain
carries a rhyme into another group) form one *cluster*: its first line ends on a word
with enough rhymes for the others, and a cluster that closes a section on a long note
ends on an open vowel ("free", "go", "away").
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache

import pronouncing

from services.lyrics import grammar, lexicon, wordbank
from services.lyrics.grammar import Clause, EndRule, Frame, ends_open, rhyme_of
from services.lyrics.lexicon import GRAMMAR_WORDS
from services.lyrics.plan import LinePlan, SyllablePlan
from services.lyrics.pronunciation import pronounce, rhymes_with, without_accents
from services.lyrics.spelling import same_word_american
from services.lyrics.usage import current_prior
from services.lyrics.vocabulary import Vocabulary, Word, mood_factor, stress_matches

#: The share of the lexicon outside the request's scenes that one song draws from.
PALETTE_SHARE = 0.10
#: The share of the words of the request's scenes that one song draws from.
SCENE_PALETTE_SHARE = 0.6
UNSCENED_SHARE = 0.7
#: Candidate lines written per line; the best is kept.
CANDIDATES_PER_LINE = 6
#: The shortest line that may be split in two clauses, and how often one of at most
#: ``LONGEST_SINGLE_CLAUSE`` syllables is.
MIN_SPLIT_LINE = 5
#: The shortest line that may be split to hold a theme word ("Paris, I wait").
MIN_THEMED_SPLIT_LINE = 4
SPLIT_LINE_SHARE = 0.25
#: Frames tried per clause before a candidate is given up (more for a clause whose
#: last word must rhyme: fewer frames can end on it).
FRAME_TRIES = 6
RHYMED_FRAME_TRIES = 14
#: Lines longer than this are split into clauses of natural length.
LONGEST_SINGLE_CLAUSE = 9
#: A line that no candidate fills is written as two lines when each half has at least
#: this many syllables (see ``_fallback_line``).
MIN_HALF_LINE = 3
NATURAL_CLAUSE_LENGTHS = (4, 7)
#: Parts of speech a line may end on (used by fit.py's repairs).
LINE_ENDINGS = ("noun", "adj", "verb", "name")
#: Rhyme partners (weighted: see ``grammar._PARTNER_WEIGHTS``) that a rhyme group's
#: first line asks for beyond the ones its group needs, when it can have them.
RHYME_MARGIN = 0.5
#: Rhyme partners a line that a hook will repeat asks for beyond its group's.
HOOK_PARTNERS = 1.0
#: Most lines with their own end word that one rhyme sound may have to serve.
MAX_CLUSTER_WRITERS = 4
#: Weight of a frame the song has used already, relative to a fresh one.
REUSED_FRAME_FACTOR = 0.25
#: Weight of a frame per word it sings whatever the song (see ``Frame.fixed_words``):
#: frames that choose more of their words are likelier, so that songs share fewer.
FIXED_WORD_FACTOR = 0.5
#: The share of songs that may use a frame's own content words (see ``_has_words_of``).
FRAME_WORD_SHARE = 0.4
#: Score terms (the stress fit counts 0..1).
THEME_WORD_SCORE = 0.3
SCENE_WORD_SCORE = 0.1
HEARD_THEME_SCORE = 0.15
REUSED_WORD_PENALTY = 1.0
#: How many more rhymes a line answering a given word tries when it ends on that word
#: again in another form ("sweetheart" for "heart").
SAME_WORD_RETRIES = 3
OPEN_LANDING_SCORE = 0.6
SOUND_TASTE_SCORE = 0.5
CONTENT_DENSITY_SCORE = 0.8
HOOK_ENDING_SCORE = 1.0


#: Heads only a line that must hold a theme word may open with (see grammar).
_THEME_HEADS = frozenset(grammar.THEME_HEAD_FRAMES)


@dataclass(frozen=True)
class ComposedLine:
    """A written line: its words, its clauses and the word it ends on."""

    words: tuple[str, ...]
    text: str
    end_word: Word | None = None
    content_words: frozenset[str] = frozenset()
    clauses: tuple[Clause, ...] = ()

    @property
    def last_word(self) -> str:
        return self.words[-1] if self.words else ""


@dataclass
class _Cluster:
    """Lines whose ends must rhyme with each other."""

    members: list[int]
    writers: int  # lines that need their own end word (not verbatim refrains)
    lands: bool
    shortest: int  # syllables of its shortest line
    rhyme: str | None = None
    ends: set[str] = field(default_factory=set)


class LocalLyricist:
    """Writes lines of exact syllable counts from one vocabulary and one random source.

    refrains: repeat the words where the melody repeats a phrase (False: every line new).
    palette: draw from the theme's words and a random part of the rest of the lexicon
        (see ``Vocabulary.palette``); False: from all of it.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        rng: random.Random,
        *,
        refrains: bool = True,
        palette: bool = True,
    ) -> None:
        #: Every word of the request; ``vocabulary`` is this song's part of it.
        self.full_vocabulary = vocabulary
        # A request that switched on no scene draws on more of the lexicon.
        share = PALETTE_SHARE if vocabulary.associates | vocabulary.leaning else UNSCENED_SHARE
        self.vocabulary = (
            vocabulary.palette(rng, share, SCENE_PALETTE_SHARE, current_prior())
            if palette
            else vocabulary
        )
        self.rng = rng
        self.refrains = refrains
        #: Clauses that could only be filled with the last-resort list of nouns.
        self.fallback_clauses = 0
        self._used: set[str] = set()  # content words of earlier lines
        self._one_clause = False  # the line being written may not be split
        self._frames_used: dict[str, int] = {}
        self._core = {word.text for word in vocabulary.core_words}
        self._core_lower = frozenset(text.lower() for text in self._core)
        # The things the theme is about ("skateboard" in "the skateboard park").
        self._things = frozenset(
            word.text.lower()
            for word in vocabulary.core_words
            if word.part_of_speech == "noun" and not word.classes.isdisjoint(grammar.HELD_CLASSES)
        )
        self._scene = set(vocabulary.associates)
        self._themed_texts = {text.lower() for text in self._core | self._scene}
        sizes = tuple((pos, vocabulary.sizes(pos)) for pos in ("noun", "adj", "verb", "tverb"))
        self._frames = [
            (
                frame,
                grammar.frame_lengths(frame, sizes),
                frame.weight
                * mood_factor(frame.moods, vocabulary.moods)
                * FIXED_WORD_FACTOR**frame.fixed_words,
            )
            for frame in (*grammar.FRAMES, *grammar.HEAD_FRAMES, *grammar.THEME_HEAD_FRAMES)
            if self._has_words_of(frame)
        ]

    def _has_words_of(self, frame: Frame) -> bool:
        """Whether this song may sing the frame's own content words ("let", "watch",
        "remember"): each is in a random ``FRAME_WORD_SHARE`` of songs, as a word of the
        lexicon is in a song's palette, so that not every song says "watch the ..."."""
        return all(
            self.vocabulary.taste(f"frame word:{word}")
            <= FRAME_WORD_SHARE * self.vocabulary.usage_factor(word)
            for word in frame.content_literals
        )

    def write(
        self,
        plan: SyllablePlan,
        labels: Sequence[str],
        *,
        rhyme_with: str = "",
        avoid_ends: frozenset[str] = frozenset(),
    ) -> list[ComposedLine]:
        """One line per planned line; lines with the same label rhyme (see rhyme.py),
        repeated phrases repeat their words (see the module docstring).

        rhyme_with: a word (lower case) the first rhyme group's lines rhyme with, as if
            a line before them had ended on it (the first line, when no line has a
            rhyme group); it is not used as an end itself.
        avoid_ends: words (lower case) no line ends on, in any spelling, as if earlier
            lines had ended on them (the ends of the song's kept lines).
        """
        avoided = frozenset(form for word in avoid_ends for form in spellings_of(word))
        count = len(plan.lines)
        first_label = next((label for label in labels if label), "")
        repeat_of = list(plan.repeat_of) if self.refrains and plan.repeat_of else [None] * count
        copy_of: list[int | None] = [None] * count
        hook_of: list[int | None] = [None] * count
        for line, source in enumerate(repeat_of):
            if source is None:
                continue
            # Verbatim, the line would rhyme a word with itself when its rhyme group
            # already ends on the source's word (the source, or another copy of it).
            clash = labels[line] and any(
                labels[earlier] == labels[line] and source in (earlier, copy_of[earlier])
                for earlier in range(line)
            )
            if clash:
                hook_of[line] = source
            else:
                copy_of[line] = source
        # A line whose refrain lands on a long note lands too: the words are the same.
        landing = [
            replace(
                line_plan,
                lands=line_plan.lands
                or any(
                    source == index and plan.lines[copy].lands
                    for copy, source in enumerate(copy_of)
                ),
            )
            for index, line_plan in enumerate(plan.lines)
        ]
        plan = replace(plan, lines=tuple(landing))
        cluster_of = self._clusters(plan, labels, copy_of)
        lines: list[ComposedLine] = []
        themed_lines = 0
        for index, line_plan in enumerate(plan.lines):
            if index and lines and self._is_themed(lines[-1]):
                themed_lines += 1
            sung = {word.lower() for line in lines for word in line.words}
            require = self._required(index, themed_lines, sung)
            source = copy_of[index]
            cluster = cluster_of.get(index)
            group_ends = [
                lines[k].last_word for k in range(index) if labels[k] and labels[k] == labels[index]
            ]
            answers = bool(rhyme_with) and (
                labels[index] == first_label if first_label else index == 0
            )
            if answers:
                group_ends[:0] = sorted(spellings_of(rhyme_with))
            other_rhymes = frozenset(
                other.rhyme
                for other in cluster_of.values()
                if other is not cluster and other.rhyme is not None
            )
            rule = self._end_rule(cluster, line_plan, group_ends, other_rhymes)
            # No line ends on a word an earlier line ended on ("Love / Love / Dove", an
            # X line's "Frost" three times), but a refrain's copy, which is the point.
            ended = avoided | {line.last_word for line in lines if line.last_word}
            if ended:
                rule = replace(rule, taken=rule.taken | ended) if rule else EndRule(taken=ended)
            if cluster is None and other_rhymes and not answers:
                # A line that need not rhyme does not end on a rhyme group's sound either
                # ("Watch rain / Windowpane / Champagne" for ABCB): it would sound like one.
                rule = replace(rule or EndRule(), avoid_rhymes=other_rhymes)
            hook = hook_of[index]
            if source is not None:
                refrain_end = lines[source].last_word
                if all(rhymes_with(refrain_end, end) for end in group_ends) and self._answerable(
                    refrain_end, index, cluster, copy_of, plan
                ):
                    lines.append(lines[source])
                    continue
                # The group's first line could not take the refrain's rhyme, or the
                # group's later lines could not answer it (no rhyme of "shower" fits a
                # line of one note): a hook that rhymes with the group instead.
                hook = source
                if group_ends:
                    rule = EndRule(
                        rhyme=pronounce(group_ends[0]).rhyme,
                        taken=frozenset(group_ends),
                        open_vowel=line_plan.lands,
                    )
            composed = None
            if hook is not None:
                composed = self._hook(lines[hook], line_plan, rule)
            if composed is None:
                # A line a hook will repeat stays one clause, ending where another
                # word can rhyme (see ``_score``): its ending is easier to vary then
                # ("We cross the salty sea" -> "We cross the open bay") ...
                self._one_clause = index in hook_of
                if self._one_clause and rule is not None and rule.partners > 0:
                    # ... on a sound with a rhyme to spare for the hook.
                    rule = replace(rule, partners=rule.partners + HOOK_PARTNERS)
                if answers and rule is not None:
                    composed = self._answering_line(
                        line_plan,
                        rule,
                        require,
                        first=index == 0,
                        word=rhyme_with,
                        loose=EndRule(
                            taken=frozenset(group_ends) | ended, open_vowel=line_plan.lands
                        ),
                    )
                else:
                    composed = self._line(
                        line_plan.syllable_count,
                        line_plan.strong,
                        line_plan.long_notes,
                        rule,
                        require,
                        first=index == 0,
                    )
                self._one_clause = False
            if cluster is not None and composed.last_word:
                cluster.rhyme = cluster.rhyme or pronounce(composed.last_word).rhyme
                cluster.ends.add(composed.last_word)
            self._remember(composed)
            lines.append(composed)
        return lines

    def _answering_line(
        self,
        line_plan: LinePlan,
        rule: EndRule,
        require: Sequence[frozenset[str]],
        *,
        first: bool,
        word: str,
        loose: EndRule,
    ) -> ComposedLine:
        """A line that rhymes with ``word``, given from outside (see ``write``): with the
        words the line should hold, else without them; else a line of its own sound under
        ``loose``.

        A word may have no rhyme in the lexicon that fits the notes ("orange"); the
        fallback line then tacks one on ("Hear morning boats, admire") or takes the
        dictionary's (a surname, "centerre"), and neither is kept ("Oh, oh, shiver" is:
        a held rhyme on a short line). Nor is the word itself in another spelling or
        within a compound ("sweetheart" for "heart"): another of its rhymes is tried.
        """
        for wanted in (require, ()):
            taken = rule.taken
            for _ in range(SAME_WORD_RETRIES):
                fallbacks = self.fallback_clauses
                line = self._line(
                    line_plan.syllable_count,
                    line_plan.strong,
                    line_plan.long_notes,
                    replace(rule, taken=taken),
                    wanted,
                    first=first,
                )
                end = (line.last_word or "").lower()
                if not _same_word(end, word):
                    break
                taken = taken | {end}
            fell_back = self.fallback_clauses > fallbacks and not (
                line.text.startswith("Oh") and end in curated_words()
            )
            if not fell_back and rhymes_with(end, word) and not _same_word(end, word):
                return line
        return self._line(
            line_plan.syllable_count,
            line_plan.strong,
            line_plan.long_notes,
            loose,
            require,
            first=first,
        )

    def _required(
        self, index: int, themed_lines: int, sung: set[str]
    ) -> tuple[frozenset[str], ...]:
        """The words line ``index`` must hold, most wanted first (each a set, one word of
        which will do; () for a free line).

        The first line holds a name of the theme, else a thing it is about, else one of
        its words; until one of
        them is sung, so does every later line. Then every other line holds a theme
        word not yet sung ("coffee", then "morning"), and a line holds a word of the
        theme or its scenes (one not sung yet, if it can) while fewer than half the
        lines so far held one.
        """
        core = self._core_lower
        names = frozenset(
            word.text.lower()
            for word in self.vocabulary.core_words
            if word.part_of_speech == "name"
        )
        themed = core | self._scene
        if index == 0 or (core and core.isdisjoint(sung)):
            # The thing a theme is about ("skateboard" in "the skateboard park", "pizza"
            # in "pizza night with friends") first: sung last, it would lose to the
            # words that end lines easily ("park", "night").
            return tuple(option for option in (names, self._things, core, themed) if option)
        unsung = core - sung
        if unsung and index % 2 == 0:
            return tuple(option for option in (unsung, themed) if option)
        if 2 * themed_lines < index + 1:
            # A word of the theme's world the song has not sung yet, if one fits.
            return tuple(option for option in (themed - sung, themed) if option)
        return ()

    def _is_themed(self, line: ComposedLine) -> bool:
        spoken = {word.lower() for word in line.words}
        return not spoken.isdisjoint(self._themed_texts)

    def compose(
        self,
        syllables: int,
        strong: Sequence[bool],
        end_candidates: Sequence[Word] | None = None,
    ) -> ComposedLine:
        """The best of several candidate lines of exactly ``syllables`` syllables, to
        mend another writer's line (see fit.py): drawn from the whole vocabulary, not
        this song's palette, so that the line's own last word can be kept.

        end_candidates: words the line may end on (rhymes); None or empty = any word.
        """
        rule = (
            EndRule(allowed=frozenset(word.text for word in end_candidates))
            if end_candidates
            else None
        )
        palette, self.vocabulary = self.vocabulary, self.full_vocabulary
        try:
            line = self._line(syllables, strong, (), rule)
        finally:
            self.vocabulary = palette
        self._remember(line)
        return line

    def _clusters(
        self, plan: SyllablePlan, labels: Sequence[str], copy_of: Sequence[int | None]
    ) -> dict[int, _Cluster]:
        """Line -> its rhyme cluster (lines of one label, joined through refrains)."""
        parent = list(range(len(labels)))

        def root(line: int) -> int:
            while parent[line] != line:
                parent[line] = parent[parent[line]]
                line = parent[line]
            return line

        first_of_label: dict[str, int] = {}
        for line, label in enumerate(labels):
            if label:
                parent[root(line)] = root(first_of_label.setdefault(label, line))

        def writers(top: int) -> int:
            return sum(root(line) == top and copy_of[line] is None for line in range(len(labels)))

        for line, source in enumerate(copy_of):
            # A refrain carries its rhyme into its new group, unless that asks for more
            # rhymes of one sound than a song can find (then it becomes a hook there).
            if (
                source is not None
                and root(line) != root(source)
                and writers(root(line)) + writers(root(source)) <= MAX_CLUSTER_WRITERS
            ):
                parent[root(line)] = root(source)
        groups: dict[int, list[int]] = {}
        for line in range(len(labels)):
            groups.setdefault(root(line), []).append(line)
        clusters: dict[int, _Cluster] = {}
        for members in groups.values():
            if len(members) < 2:
                continue
            writer_count = sum(copy_of[line] is None for line in members)
            cluster = _Cluster(
                members,
                writer_count,
                any(plan.lines[m].lands for m in members),
                min(plan.lines[m].syllable_count for m in members),
            )
            for line in members:
                clusters[line] = cluster
        return clusters

    def _end_rule(
        self,
        cluster: _Cluster | None,
        line: LinePlan,
        group_ends: Sequence[str],
        other_rhymes: frozenset[str] = frozenset(),
    ) -> EndRule | None:
        """What the line must end on: a rhyme of its group's earlier lines; else the
        sound its cluster took through a refrain; else, for a cluster's first line, a
        word with rhymes to spare, on a sound no other rhyme group has taken (else ABAB
        sounds as AAAA, and a line of one note could end on the word another group
        ended on: "Sled / Sled / Thread / Thread"); an open vowel where the line lands."""
        if cluster is None:
            if group_ends:  # a line of no rhyme group given a word to rhyme with
                return EndRule(
                    rhyme=pronounce(group_ends[0]).rhyme,
                    taken=frozenset(group_ends),
                    open_vowel=line.lands,
                )
            return EndRule(open_vowel=True) if line.lands else None
        taken = frozenset(cluster.ends | set(group_ends))
        if group_ends:
            return EndRule(rhyme=pronounce(group_ends[0]).rhyme, taken=taken, open_vowel=line.lands)
        if cluster.rhyme is not None:
            # Should the line give up that sound, its own rhyme is the cluster's landing.
            return EndRule(
                rhyme=cluster.rhyme,
                taken=taken,
                open_vowel=line.lands or cluster.lands,
                partners=-1,
            )
        return EndRule(
            partners=cluster.writers - 1 + RHYME_MARGIN,
            open_vowel=cluster.lands,
            partner_length=cluster.shortest,
            avoid_rhymes=other_rhymes,
        )

    def _hook(
        self, source: ComposedLine, line: LinePlan, rule: EndRule | None
    ) -> ComposedLine | None:
        """The source line again with its last noun phrase (or clause) new, to rhyme."""
        if not source.clauses:
            return None
        *head, last = source.clauses
        slots = last.frame.slots
        tail_group = next(
            (
                slots[index].group
                for index in range(len(slots) - 1, -1, -1)
                if slots[index].kind in grammar.NOUN_KINDS
            ),
            None,
        )
        kept = (
            len(slots)
            if tail_group is None
            else next(i for i, s in enumerate(slots) if s.group == tail_group)
        )
        if kept < len(slots) and slots[kept].kind == "prep":
            kept += 1  # "... beside the bay" -> "... beside the harbor"
        if kept < len(slots) and slots[kept].kind == "det" and last.texts[kept] == "the":
            kept += 1
        head_size = sum(_size(word) for clause in head for word in clause.words)
        pinned = list(zip(last.texts[:kept], last.bases[:kept], strict=True))
        if kept == 0 or kept >= len(slots):
            return None
        for _ in range(CANDIDATES_PER_LINE):
            clause = grammar.realize(
                last.frame,
                line.syllable_count - head_size,
                line.strong[head_size:],
                self.vocabulary,
                self.rng,
                end=rule,
                used=frozenset(self._used),
                pinned=pinned,
            )
            if clause is not None:
                return _line_of([*head, clause])
        return None

    def _line(
        self,
        syllables: int,
        strong: Sequence[bool],
        long_notes: Sequence[bool],
        rule: EndRule | None,
        require: Sequence[frozenset[str]] = (),
        *,
        first: bool = False,
    ) -> ComposedLine:
        """The best candidate line: one holding a required word (see ``_required``,
        tried in order) under the end rule or a looser one that still lets its rhyme
        group rhyme; else any line under the loosest rule that any line meets; else
        the fallback."""
        rules = _relaxed(rule, first)
        # The first line holds the theme even where its end must give way for it (but
        # a line of a word or two keeps its rhyme).
        strict = first and syllables > grammar.SHORT_CLAUSE
        essential = [r for r, needed in rules if needed or (strict and r is not None)]
        for wanted in require:
            for attempt_rule in essential:
                # Second try: the word may stand in a short clause of its own ("In
                # Paris, ..."), away from a line end that must rhyme.
                for split in (False, True):
                    line = self._best_line(
                        syllables, strong, long_notes, rule, [attempt_rule], wanted, split=split
                    )
                    if line is not None:
                        return line
        line = self._best_line(
            syllables, strong, long_notes, rule, [r for r, _ in rules], frozenset()
        )
        return line if line is not None else self._fallback_line(syllables, rule)

    def _best_line(
        self,
        syllables: int,
        strong: Sequence[bool],
        long_notes: Sequence[bool],
        rule: EndRule | None,
        rules: Sequence[EndRule | None],
        wanted: frozenset[str],
        *,
        split: bool = False,
    ) -> ComposedLine | None:
        """The best of ``CANDIDATES_PER_LINE`` candidates under the first of ``rules``
        that any candidate meets; with ``wanted``, only a line that holds one of those
        words."""
        for attempt_rule in rules:
            candidates = [
                line
                for line in (
                    self._candidate(syllables, strong, attempt_rule, wanted, split=split)
                    for _ in range(CANDIDATES_PER_LINE)
                )
                if line is not None
                and (not wanted or not wanted.isdisjoint(word.lower() for word in line.words))
            ]
            if candidates:
                return max(candidates, key=lambda line: self._score(line, strong, long_notes, rule))
        return None

    def _candidate(
        self,
        syllables: int,
        strong: Sequence[bool],
        rule: EndRule | None,
        wanted: frozenset[str] = frozenset(),
        *,
        split: bool = False,
    ) -> ComposedLine | None:
        lengths = self._clause_lengths(syllables)
        if split and len(lengths) == 1 and syllables >= MIN_THEMED_SPLIT_LINE:
            head = self.rng.randint(2, min(4, syllables - 2))
            lengths = [head, syllables - head]
        clauses: list[Clause] = []
        position = 0
        used = frozenset(self._used)
        for number, length in enumerate(lengths):
            last = number == len(lengths) - 1
            # A line of one clause may be an image alone ("Rain on the platform"); a
            # line of several opens with an image or a clause, then goes on in clauses.
            if len(lengths) == 1:
                roles: tuple[str, ...] = ("full", "fragment")
            elif number == 0:
                # A long line may open with a clause; a short one opens with a head.
                roles = ("head", "full") if syllables > LONGEST_SINGLE_CLAUSE else ("head",)
            else:
                roles = ("full",)
            # After a place ("At the station, ...") a clause with no place of its own
            # ("the whistle calls", "I watch the trains"), which then happens there.
            free = bool(clauses) and clauses[-1].frame.place_head
            # After a head, no order with a thing in it ("Paris, stay with me", not
            # "Paris, forget the meadow").
            told = not clauses
            clause = self._clause(
                length,
                strong[position : position + length],
                rule if last else None,
                used,
                wanted,
                roles,
                unplaced=free,
                imperative=told,
            )
            if clause is None:
                return None
            clauses.append(clause)
            if not clause.content.isdisjoint(used - self._used):
                return None  # a word twice in one line ("Sunrise ends, we paint sunrise")
            used |= clause.content
            if not wanted.isdisjoint(word.lower() for word in clause.words):
                wanted = frozenset()
            position += length
        return _line_of(clauses)

    def _clause(
        self,
        length: int,
        strong: Sequence[bool],
        rule: EndRule | None,
        used: frozenset[str],
        wanted: frozenset[str] = frozenset(),
        roles: tuple[str, ...] = ("full", "fragment"),
        *,
        unplaced: bool = False,
        imperative: bool = True,
    ) -> Clause | None:
        # Only the theme's own words, not its scenes', may open a line held in hand.
        own_words = bool(wanted) and wanted <= self._core_lower
        fitting = [
            (frame, weight)
            for frame, lengths, weight in self._frames
            if length in lengths
            and frame.role in roles
            and (own_words or frame not in _THEME_HEADS)
            and not (unplaced and frame.has_place)
            and (imperative or not (frame.imperative and frame.placed))
        ]
        if not fitting:
            return None
        frames = [frame for frame, _ in fitting]
        first_of_group = rule is not None and rule.partners > 0
        weights = [
            weight
            * REUSED_FRAME_FACTOR ** self._frames_used.get(frame.pattern, 0)
            / (self._literal_family(frame) if first_of_group else 1.0)
            for frame, weight in fitting
        ]
        # Weighted order without replacement; a clause that must rhyme tries every frame.
        order = sorted(
            range(len(frames)), key=lambda index: -(self.rng.random() ** (1.0 / weights[index]))
        )
        tries = RHYMED_FRAME_TRIES if rule is not None else FRAME_TRIES
        for index in order[:tries]:
            clause = grammar.realize(
                frames[index],
                length,
                strong,
                self.vocabulary,
                self.rng,
                end=rule,
                used=used,
                tries=1,
                require=self._bases_of(wanted),
                free_end=self._one_clause,
            )
            if clause is not None:
                return clause
        return None

    def _literal_family(self, frame: Frame) -> float:
        """The weight of the rhymes of the word the frame itself ends on ("... with
        me"), 1 for a frame ending on a word it chooses: for a rhyme group's first line,
        every rhyme sound about as likely."""
        last = frame.last_literal
        return grammar.family_weight(self.vocabulary, last) if last else 1.0

    def _bases_of(self, wanted: frozenset[str]) -> frozenset[str]:
        """The vocabulary texts of wanted words (names keep their capital)."""
        if not wanted:
            return wanted
        key = ("bases", wanted)
        if key not in self.vocabulary.memo:
            self.vocabulary.memo[key] = frozenset(
                word.text for word in self.vocabulary.all_words if word.text.lower() in wanted
            )
        return self.vocabulary.memo[key]  # type: ignore[return-value]

    def _rhymes_within(self, rhyme: str, taken: frozenset[str], syllables: int) -> list[str]:
        """Words ending on ``rhyme``, none of ``taken``, of 1 to ``syllables`` syllables:
        from the vocabulary, else the whole lexicon, else the pronouncing dictionary."""
        rhymes = sorted(
            text
            for text in grammar.ending_forms(self.full_vocabulary).get(rhyme, ())
            if text not in taken and 0 < _size(text) <= syllables
        )
        if not rhymes and taken:
            rhymes = _curated_rhymes(rhyme, taken, syllables)
        if not rhymes and taken:
            rhymes = _dictionary_rhymes(rhyme, taken, syllables)
        return rhymes

    def _answerable(
        self,
        end_word: str,
        index: int,
        cluster: _Cluster | None,
        copy_of: Sequence[int | None],
        plan: SyllablePlan,
    ) -> bool:
        """Whether every later line of the cluster that writes its own ending can end on
        a rhyme of ``end_word`` (a refrain's last word, about to set the cluster's sound)."""
        if cluster is None or not end_word:
            return True
        later = [
            plan.lines[member].syllable_count
            for member in cluster.members
            if member > index and copy_of[member] is None
        ]
        if not later:
            return True
        rhyme = pronounce(end_word).rhyme
        return bool(self._rhymes_within(rhyme, frozenset({end_word}), min(later)))

    def _fallback_line(self, syllables: int, rule: EndRule | None) -> ComposedLine:
        """Last resort, rarely needed: a line no candidate filled, of at least twice
        ``MIN_HALF_LINE`` syllables, written as two lines joined ("The owls soar in the
        night, we wander by the river"); a shorter one as the rhyme word after sung
        "oh"s ("Oh, oh, sing"), or nouns in a row ("rain, river, morning"). Always
        possible."""
        if syllables >= 2 * MIN_HALF_LINE:
            # A long phrase (a whole hum as one line) needs many clauses to hold at once
            # and every candidate failed: each half is a line of its own, the second one
            # under the rule, each half split again if it must be.
            head = syllables // 2
            first = self._line(head, (True,) * head, (), None)
            second = self._line(syllables - head, (True,) * (syllables - head), (), rule)
            joined = (*first.words, *second.words)
            # The second half's capital was the line's, not its word's ("Paris", "I").
            opening = (
                second.text[:1].lower()
                if second.words[:1] and second.words[0][:1].islower()
                else second.text[:1]
            )
            text = f"{first.text}, {opening}{second.text[1:]}"
            return ComposedLine(
                joined,
                text,
                second.end_word,
                first.content_words | second.content_words,
                (*first.clauses, *second.clauses),
            )
        self.fallback_clauses += 1
        rhymes = (
            self._rhymes_within(rule.rhyme, rule.taken, syllables)
            if rule is not None and rule.rhyme
            else []
        )
        last = self.rng.choice(rhymes) if rhymes else None
        remaining = syllables - (_size(last) if last else 0)
        words: list[str] = []
        if last is not None and remaining <= 3:
            words = ["oh"] * remaining
            remaining = 0
        elif last is not None:
            # A clause of its own, then the rhyme called out ("I wait by the river, skies").
            clause = self._candidate(remaining, (True,) * remaining, None)
            if clause is not None:
                words = list(clause.words)
                text = f"{clause.text}, {last}"
                return ComposedLine((*words, last), text, None, _content([*words, last]))
        while remaining:
            size = min(remaining, self.rng.choice((1, 2)))
            nouns = self.vocabulary.words("noun", size) or self.vocabulary.words("noun", 1)
            word = self.rng.choice(list(nouns))
            words.append(word.text)
            remaining -= word.size
        if last is not None:
            words.append(last)
        text = ", ".join(words)
        return ComposedLine(tuple(words), text[:1].upper() + text[1:], None, _content(words))

    def _clause_lengths(self, syllables: int) -> list[int]:
        """Split a line into clauses of natural length; a line of middle length now and
        then into a short image and a clause ("Empty platforms, the whistle calls")."""
        if (
            MIN_SPLIT_LINE <= syllables <= LONGEST_SINGLE_CLAUSE
            and self.rng.random() < SPLIT_LINE_SHARE
            and not self._one_clause
        ):
            head = self.rng.randint(2, min(4, syllables - 3))
            return [head, syllables - head]
        lengths, remaining = [], syllables
        while remaining > LONGEST_SINGLE_CLAUSE:
            length = self.rng.randint(*NATURAL_CLAUSE_LENGTHS)
            lengths.append(length)
            remaining -= length
        lengths.append(remaining)
        return lengths

    def _score(
        self,
        line: ComposedLine,
        strong: Sequence[bool],
        long_notes: Sequence[bool],
        rule: EndRule | None,
    ) -> float:
        stresses: list[bool] = []
        heard: list[bool] = []
        for position, word in enumerate(line.words):
            pronunciation = pronounce(word)
            start = len(stresses)
            stresses.extend(pronunciation.stresses)
            themed = word in self._core or word in self._scene
            on_long = any(
                stressed and start + offset < len(long_notes) and long_notes[start + offset]
                for offset, stressed in enumerate(pronunciation.stresses)
            )
            heard.append(themed and (on_long or position == len(line.words) - 1))
        score = stress_matches(stresses, strong) / max(len(strong), 1)
        score += THEME_WORD_SCORE * min(2, len(line.content_words & self._core))
        score += SCENE_WORD_SCORE * min(3, len(line.content_words & self._scene))
        score += HEARD_THEME_SCORE * min(2, sum(heard))
        score -= REUSED_WORD_PENALTY * len(line.content_words & (self._used - self._core))
        if rule is not None and rule.open_vowel and ends_open(line.last_word):
            score += OPEN_LANDING_SCORE
        # Images over grammar: of two lines, the one with more words that say something
        # ("Golden lanterns by the river" over "There's a light by the river").
        spoken = [word.lower() for word in line.words]
        if spoken:
            content = sum(word not in GRAMMAR_WORDS for word in spoken)
            score += CONTENT_DENSITY_SCORE * content / len(spoken)
        if self._one_clause and line.clauses:
            # A line a hook will repeat needs another word to end on.
            alternatives = grammar.rhyming_alternatives(line.clauses[-1], self.vocabulary)
            score += HOOK_ENDING_SCORE * min(alternatives, 2) / 2
        if rule is not None and rule.partners > 0 and line.last_word:
            # A rhyme group's first line picks the group's sound: this song's taste for
            # sounds decides between equally good lines (see ``grammar.sound_weight``).
            sound = grammar.rhyme_of(line.last_word.lower())
            taste = self.vocabulary.taste(f"rhyme:{sound}")
            score += SOUND_TASTE_SCORE * taste**grammar.SOUND_TASTE_POWER
        return score

    def _remember(self, line: ComposedLine) -> None:
        self._used |= line.content_words
        for clause in line.clauses:
            self._frames_used[clause.frame.pattern] = (
                self._frames_used.get(clause.frame.pattern, 0) + 1
            )


def spellings_of(word: str) -> set[str]:
    """A word as written, without its accents ("café" -> "cafe") and in its American
    spelling ("harbour" -> "harbor"): the lexicon's spellings of the same word."""
    plain = without_accents(word)
    forms = {word, plain}
    american = same_word_american(plain)
    if american:
        forms.add(american)
    return forms


def _same_word(end: str, word: str) -> bool:
    """Whether line end ``end`` is ``word`` in another spelling, or a compound ending in
    it ("sweetheart" for "heart", "discolor" for "colour"): no rhyme, the word again."""
    ends = spellings_of(end.lower())
    return any(form.endswith(other) for form in ends for other in spellings_of(word))


def _curated_rhymes(rhyme: str, taken: frozenset[str], syllables: int) -> list[str]:
    """Every word of the lexicon and of every scene (in any part of speech) that ends
    on ``rhyme``, for a fallback line whose rhyme group the vocabulary cannot fill."""
    return sorted(
        text
        for text in curated_words()
        if text not in taken and 0 < _size(text) <= syllables and rhyme_of(text) == rhyme
    )


def _dictionary_rhymes(rhyme: str, taken: frozenset[str], syllables: int) -> list[str]:
    """Words of the CMU pronouncing dictionary that end on ``rhyme`` (rhymes of the
    group's words: "swim", "hymn", "dim" taken -> "brim", "whim"), for a fallback line
    whose rhyme group has used every rhyme the lexicon holds."""
    found = {
        text
        for word in sorted(taken)
        for text in pronouncing.rhymes(word.lower())
        if text.isalpha() and len(text) >= 3 and text not in taken
    }
    return sorted(
        text for text in found if 0 < _size(text) <= syllables and rhyme_of(text) == rhyme
    )


@cache
def curated_words() -> frozenset[str]:
    """Every word of the lexicon and of every scene, in any part of speech (base forms)."""
    words = set(lexicon.noun_classes())
    for table in (lexicon.ADJECTIVES, lexicon.INTRANSITIVE_VERBS, lexicon.TRANSITIVE_VERBS):
        words.update(lexicon.parse_entries(table))
    for scene in wordbank.SCENES:
        for part_of_speech in wordbank.PARTS_OF_SPEECH:
            words.update(scene.words(part_of_speech))
    return frozenset(words)


def _relaxed(rule: EndRule | None, first: bool = False) -> list[tuple[EndRule | None, bool]]:
    """The end rule, then looser ones to fall back on, each marked essential when it
    still lets the line's rhyme group rhyme (``first``: for the song's first line)."""
    if rule is None:
        return [(None, True)]
    relaxed: list[tuple[EndRule | None, bool]] = [(rule, True)]
    if first and rule.partners > 0:
        # "Paris, stay with me" before a song's first line without Paris.
        relaxed.append((replace(rule, person_end=True), True))
    if rule.partners < 0:
        # No rhyme of the refrain's sound fits: start a rhyme of the line's own.
        relaxed.append((EndRule(partners=2, open_vowel=rule.open_vowel), True))
        if rule.open_vowel:
            relaxed.append((EndRule(partners=2), True))
    elif rule.partners > 1:
        # The margin may be too much to ask; the partners needed are not.
        needed = max(rule.partners - RHYME_MARGIN, 0)
        relaxed.append(
            (
                EndRule(
                    partners=needed, open_vowel=rule.open_vowel, partner_length=rule.partner_length
                ),
                True,
            )
        )
        # A held note wants an open vowel more than the line wants a theme word.
        relaxed.append(
            (EndRule(partners=needed, partner_length=rule.partner_length), not rule.open_vowel)
        )
        # Then as many partners as can be had: a rhyme group short of partners ends on
        # the fallback line ("Oh, oh, spring").
        for partners in range(math.ceil(needed) - 1, 0, -1):
            relaxed.append((EndRule(partners=partners, partner_length=rule.partner_length), False))
    elif rule.open_vowel:
        # A held note wants an open vowel more than the line wants a theme word.
        relaxed.append((EndRule(rule.rhyme, rule.allowed, rule.taken), False))
    # However loose, a rule never lets the line end on a word another line ended on.
    relaxed = [
        (replace(loose, taken=loose.taken | rule.taken) if loose is not None else None, needed)
        for loose, needed in relaxed
    ]
    if rule.avoid_rhymes:
        # Every rule keeps off the other rhyme groups' sounds first; they may be taken
        # only where no line of a new sound can be had, not even for a theme word.
        new_sound = [
            (replace(loose, avoid_rhymes=rule.avoid_rhymes), needed)
            for loose, needed in relaxed
            if loose is not None
        ]
        relaxed[:] = new_sound + [
            (replace(loose, avoid_rhymes=frozenset()), False) for loose, _ in new_sound
        ]
    if rule.rhyme is None or rule.partners < 0:
        # A rhyme the scheme asks for is kept, if need be by the fallback line.
        relaxed.append((None, False))
    return relaxed


def _line_of(clauses: Sequence[Clause]) -> ComposedLine:
    words = [word for clause in clauses for word in clause.words]
    text = ", ".join(" ".join(clause.words) for clause in clauses)
    end_word = next(
        (noun for noun in clauses[-1].nouns if words and noun.text == words[-1]),
        None,
    )
    content = frozenset(word.lower() for clause in clauses for word in clause.content)
    return ComposedLine(
        tuple(words), text[:1].upper() + text[1:], end_word, content, tuple(clauses)
    )


def _content(words: Sequence[str]) -> frozenset[str]:
    return frozenset(word.lower() for word in words if word.lower() not in GRAMMAR_WORDS)


def _size(text: str) -> int:
    return pronounce(text).syllable_count if text else 0


__all__ = ["LINE_ENDINGS", "ComposedLine", "Frame", "LocalLyricist"]
