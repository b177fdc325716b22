"""Frames: the clause shapes the local lyricist writes with, and how they are filled.

A frame is a clause such as ``NP:vehicle V PP:place`` ("the last train leaves the
station"). Lower-case tokens are sung as written; the others are slots:

- ``NP:classes`` a noun phrase: a determiner, maybe an adjective that suits the noun,
  the noun (of one of the classes; ``any`` = every class). A name ("Paris") stands alone.
- ``NPa:classes`` the same with "a"/"an" ("there's a light ..."); ``N:classes`` a noun
  said without an article ("midnight", "rain"); ``W:classes`` any noun alone, and
  ``word`` any adjective or verb alone (one-word lines).
- ``PP:classes`` a preposition that suits the noun, then a noun phrase.
- ``V`` / ``Vb`` / ``Vg`` an intransitive verb whose subject is the noun before it:
  "rolls", "roll" (after "let the train"), "rolling". ``Va`` is ``V`` for verbs sung
  with "away" (the frame says "away" itself).
- ``v`` / ``vg`` / ``va`` an intransitive verb whose subject is a person ("I wait").
- ``T`` / ``Tg`` a transitive verb said by a person, whose object is the noun after it;
  ``Tme`` one that takes "me" ("hold me"); ``Tyou`` one that takes a person ("miss you").
- ``A<`` an adjective that suits the noun before it ("the night is cold"); ``A>`` one
  that suits the noun after it ("cold as the winter").

Every word is chosen so that it agrees with the words it goes with (see lexicon.py), the
clause has exactly the syllables asked for, and stressed syllables fall on strong notes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache, cached_property

from services.lyrics.lexicon import (
    ADJECTIVES,
    BARE_NOUNS,
    BARE_ONLY_NOUNS,
    DETERMINERS,
    GRAMMAR_WORDS,
    INTRANSITIVE_VERBS,
    MANNER_PREPOSITIONS,
    MANNERS,
    PREPOSITIONS,
    TIME_PREPOSITIONS,
    TRANSITIVE_VERBS,
    UNIVERSAL_CLASSES,
    gerund,
    parse_entries,
    third_person,
)
from services.lyrics.pronunciation import VOWELS, Pronunciation, pronounce
from services.lyrics.vocabulary import TASTE_POWER, Vocabulary, Word, stress_matches
from services.lyrics.vocabulary import rhyme_of as vocabulary_rhyme

#: Weight of a word the song has used already, relative to a fresh one.
REUSED_WORD_FACTOR = 0.02
#: Content words of a clause that begin with this many same letters echo each other.
ECHO_LETTERS = 4
#: Weight of a word the line must hold (a theme word), relative to any other.
REQUIRED_WORD_FACTOR = 40.0
#: Weight of no article before a plural after a preposition, against 2 for "the".
BARE_PLURAL_WEIGHT = 1.5
#: Chance that a noun which may be plural is sung in the plural ("lanterns glow").
PLURAL_SHARE = 0.5
#: Chance that a required noun goes in the clause's last noun slot, where it is heard.
REQUIRED_AT_END_SHARE = 0.6
#: Chances of drawing a noun from the theme's own words, its scenes, the scenes of its
#: genre and mood, the rest of the lexicon (among the tiers that have a fitting noun).
NOUN_TIERS = (0.3, 0.5, 0.12, 0.08)
#: How strongly a song's taste for rhyme sounds leans the sound of a rhyme group.
SOUND_TASTE_POWER = 4
#: Reaching outside its palette for a rhyme, a song takes one of the nouns of the
#: universal classes (sky, weather, time, water, land) this often, when any agrees.
UNIVERSAL_REACH_SHARE = 0.8
#: Slot kinds of a verb.
_VERB_KINDS = frozenset({"V", "Va", "Vb", "Vg", "v", "va", "vg", "vw", "T", "Tg", "Tme", "Tyou"})
#: A tier whose every noun the song has sung is this much less likely.
USED_TIER_FACTOR = 0.1
#: Slot kinds whose word is a noun.
NOUN_KINDS = frozenset({"noun", "bare"})
#: Slot kinds whose word is a verb agreeing with the noun before it (its subject).
SUBJECT_VERB_KINDS = {"V": "third", "Va": "third", "Vb": "base", "Vg": "gerund"}
PERSON_VERB_KINDS = {"v": "base", "va": "base", "vg": "gerund", "vw": "base"}
OBJECT_VERB_KINDS = {"T": "base", "Tg": "gerund"}


@dataclass(frozen=True)
class Slot:
    """One position of a frame after expansion.

    kind: "lit", "det", "a", "adj?", "noun", "bare", "prep", a verb kind (``V``, ``v``,
        ``T`` ...), "A<" or "A>".
    text: the literal, for "lit".
    classes: noun classes, for nouns.
    noun: index of the noun slot this slot agrees with (None for none).
    group: slots of one noun phrase share a group number (for keeping a line's head).
    in_pp: the slot belongs to a prepositional phrase.
    plural_ok: a noun slot whose noun may be sung in the plural.
    image: a noun slot of an image ("empty platforms"): no article, an adjective, the
        noun in the plural (or a noun said without an article: "midnight rain").
    """

    kind: str
    text: str = ""
    classes: frozenset[str] = frozenset()
    noun: int | None = None
    group: int = -1
    in_pp: bool = False
    plural_ok: bool = False
    image: bool = False


@dataclass(frozen=True)
class Frame:
    """A clause shape, how often it is picked, the moods it suits (none = any) and
    whether it opens a line before a clause ("Empty platforms, ...")."""

    pattern: str
    weight: float = 1.0
    moods: frozenset[str] = frozenset()
    head: bool = False

    @property
    def slots(self) -> tuple[Slot, ...]:
        return _expand(self.pattern)

    @cached_property
    def last_literal(self) -> str:
        """The word the frame itself ends on ("me" in "hold me"), "" if none."""
        last = self.slots[-1]
        return last.text if last.kind == "lit" else ""

    @cached_property
    def imperative(self) -> bool:
        """Whether the clause tells someone to do something ("hold me", "cross the
        river")."""
        return self.slots[0].kind in ("T", "Tme", "vw", "v")

    @cached_property
    def place_head(self) -> bool:
        """Whether the frame opens a line with a place ("At the station, ...")."""
        slots = self.slots
        return self.head and any(
            slot.kind == "prep" and slot.noun is not None and "time" not in slots[slot.noun].classes
            for slot in slots
        )

    @cached_property
    def placed(self) -> bool:
        """Whether the clause has a place or an object of its own ("... by the river",
        "... the ticket"): after a place ("At the station, ...") it would need one
        that fits there."""
        return any(slot.kind == "prep" or slot.kind in OBJECT_VERB_KINDS for slot in self.slots)

    @cached_property
    def fixed_words(self) -> int:
        """How many words the frame sings whatever the song: its own ("there's", "let",
        "I remember"), the article of each noun phrase and the preposition of each
        place ("there's a light by the river": 4)."""
        return sum(slot.kind in ("det", "a", "prep", "lit") for slot in self.slots)

    @cached_property
    def content_literals(self) -> tuple[str, ...]:
        """The content words the frame itself sings ("let", "watch", "remember")."""
        return tuple(
            slot.text.lower()
            for slot in self.slots
            if slot.kind == "lit" and slot.text.lower() not in GRAMMAR_WORDS
        )

    @cached_property
    def has_place(self) -> bool:
        """Whether the clause has a place of its own ("... by the river"): after a place
        ("At the station, ...") it would be a second one. An object may follow a place
        ("At the station, I watch the trains")."""
        return any(slot.kind == "prep" for slot in self.slots)

    @cached_property
    def role(self) -> str:
        """ "head" (opens a line), "full" (a clause with a verb: may stand after a head
        or another clause) or "fragment" (an image or a place alone: a line of its
        own)."""
        if self.head:
            return "head"
        full = any(
            slot.kind in _VERB_KINDS or slot.text in ("is", "there's") for slot in self.slots
        )
        return "full" if full else "fragment"


@dataclass(frozen=True)
class EndRule:
    """What the last word of a clause must be.

    rhyme: its rhyming part must be this (None = any).
    allowed: it must be one of these texts (None = any).
    taken: it must not be one of these (other line ends of its rhyme group).
    partners: when > 0, it must have at least this many rhymes in the vocabulary (the
        first line of a rhyme group, whose later lines need partners); -1 marks a rhyme
        the line may give up for one of its own (a refrain's sound).
    open_vowel: it must end on an open vowel (a rule without this is the fallback).
    partner_length: the syllables of the shortest line the partners must end (0: any).
    person_end: a rhyme group's first line may end on "me" or "you" (else only where
        nothing else holds the words the line must sing).
    avoid_rhymes: rhyming parts it must not have (the sounds of other rhyme groups).
    """

    rhyme: str | None = None
    allowed: frozenset[str] | None = None
    taken: frozenset[str] = frozenset()
    partners: float = 0
    open_vowel: bool = False
    partner_length: int = 0
    person_end: bool = False
    avoid_rhymes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Clause:
    """A filled frame: the sung text of each slot ("" for an empty optional slot; a
    slot may hold several words: "through the"), and the base forms of its content
    words ("train" for "trains", "roll" for "rolling"), as a set and per slot ("" for
    a slot without one)."""

    frame: Frame
    texts: tuple[str, ...]
    nouns: tuple[Word, ...]
    content: frozenset[str] = frozenset()
    bases: tuple[str, ...] = ()

    @property
    def words(self) -> list[str]:
        return [word for text in self.texts if text for word in text.split()]


def _frames(text: str, moods: str = "", *, head: bool = False) -> list[Frame]:
    """Frames of one mood, one per line: ``pattern | weight``."""
    frames = []
    for line in text.strip().splitlines():
        pattern, _, weight = line.rpartition(" | ")
        frames.append(
            Frame(pattern.strip(), float(weight or 1), frozenset(moods.split()), head=head)
        )
    return frames


SUBJECTS = "light|celestial|precip|wind|storm|water|sound|vehicle|plant|animal|time|person"
WHERE = "place|time|water|land|celestial|light|precip|plant|city"
IMAGES = "light|sound|precip|wind|storm|celestial|vehicle|plant|animal"
#: Things of the sky and the weather, that go in pairs ("the wind and the rain").
WEATHER = "precip|storm|wind|celestial"
FRAMES: tuple[Frame, ...] = (
    *_frames(
        f"""
        NP:{SUBJECTS} V | 2
        NP:{SUBJECTS} V PP:{WHERE} | 4
        I:{SUBJECTS} V | 2
        I:{SUBJECTS} V PP:{WHERE} | 3
        I:{IMAGES} PP:place|water|land|city | 2.5
        I:{WEATHER} and I:{WEATHER} | 0.6
        I:{IMAGES} and I:{IMAGES} | 0.8
        I:{SUBJECTS} Vg PP:{WHERE} | 2
        I:{SUBJECTS} Vg | 0.8
        I T I:any | 1.5
        T I:any | 0.8
        NP:{SUBJECTS} Va away | 1
        N:time|precip|storm|light PP:place|water|land|celestial|city | 2
        NP:{IMAGES} PP:place|water|land|city | 2.5
        there's NPa:light|sound|vehicle|person|object|paper PP:place|water|land|time|city | 1.2
        PP:place|celestial|land|water|light|city | 0.8
        NP:time|place|water|land|drink|precip|wind|light is A< | 2
        A> as NP:time|water|land|precip|wind|celestial|light|drink|food | 1
        NP:{WEATHER} and NP:{WEATHER} | 0.5
        I T NP:any | 3
        I v PP:{WHERE} | 3
        vg PP:{WHERE} | 2.5
        you T NP:any | 1.5
        Tme me PP:place|water|land|time|city | 2
        Tme me | 0.3
        I still T NP:any | 0.6
        let NP:{SUBJECTS} Vb | 0.6
        watch NP:{SUBJECTS} Vb | 0.4
        till NP:{SUBJECTS} V | 1.2
        when NP:{SUBJECTS} V | 1.5
        I hear NP:sound|person|animal|vehicle|storm|water Vg | 1
        I see NP:light|celestial|person|water|vehicle|animal|plant Vg | 1
        T NP:any | 0.8
        I Tyou you PP:place|time|water|city | 1.2
        I Tyou you | 0.6
        I v | 0.4
        vw with me | 0.3
        NP:any | 0.3
        N:any | 0.15
        W:any | 0.05
        v | 0.05
        word | 0.02
        """
    ),
    *_frames(
        f"""
        we v PP:{WHERE} | 2.5
        we're vg PP:{WHERE} | 2
        we T NP:any | 1.5
        we T I:any | 1
        T NP:food|drink|light|celestial|vehicle|water|precip with me | 0.5
        """,
        "happy energetic love hopeful",
    ),
    *_frames(
        f"""
        I can't T NP:any | 1.2
        nothing but NP:precip|storm|light|sound|time|feeling | 0.4
        I'm vg PP:{WHERE} | 1.5
        NP:time|light|sound|feeling|vehicle is gone | 0.8
        I v alone | 0.8
        """,
        "sad dark nostalgic angry",
    ),
    *_frames(
        """
        you are my N:light|celestial|feeling | 1
        all I need is NP:feeling|person|light|drink|celestial | 0.3
        hold on to NP:feeling|person|object|paper | 0.3
        """,
        "love hopeful",
    ),
    *_frames(
        """
        I remember NP:any | 0.2
        back PP:place|time|city | 0.4
        """,
        "nostalgic sad",
    ),
)


#: What opens a line before its clause: a time, a name or a person called, a place
#: ("Midnight, ...", "Paris, ...", "Keeper, ...", "At the lighthouse, ..."). An image
#: would start a second thought ("Static voices, drive with me").
HEAD_FRAMES: tuple[Frame, ...] = tuple(
    _frames(
        """
        N:time|name|city | 2
        W:person | 0.6
        PP:time | 1.5
        PP:place|water|land|city | 1.5
        """,
        head=True,
    )
)
#: Heads that hold a thing, only for a line that must sing a theme word: few clauses
#: end on a thing, and a line's last word must rhyme, so a theme's own object ("the
#: skateboard park", "a blender at midnight") was sung in one song in ten.
THEME_HEAD_FRAMES: tuple[Frame, ...] = tuple(
    _frames(
        """
        PP:object|paper|thing | 1
        """,
        head=True,
    )
)


@cache
def _expand(pattern: str) -> tuple[Slot, ...]:
    """The slots of a pattern, with every agreement resolved to a noun slot index."""
    slots: list[Slot] = []
    pending: list[int] = []  # slots waiting for the next noun (T, A>)
    last_noun: int | None = None
    for group, token in enumerate(pattern.split()):
        kind, _, classes_text = token.partition(":")
        classes = frozenset(classes_text.split("|")) if classes_text else frozenset()
        if kind == "word":
            slots.append(Slot("word", group=group))
        elif kind == "W":
            slots.append(Slot("noun", classes=classes, group=group))
            last_noun = len(slots) - 1
        elif kind == "I" and classes_text:  # "I:light" an image; "I" alone is "I"
            noun_index = len(slots) + 1
            slots.append(Slot("adj!", noun=noun_index, group=group))
            slots.append(Slot("noun", classes=classes, group=group, plural_ok=True, image=True))
            for index in pending:
                slots[index] = Slot(slots[index].kind, noun=noun_index, group=slots[index].group)
            pending = []
            last_noun = noun_index
        elif kind in ("NP", "NPa", "PP", "N"):
            noun_index = len(slots) + {"NP": 2, "NPa": 2, "PP": 3, "N": 0}[kind]
            in_pp = kind == "PP"
            if in_pp:
                slots.append(Slot("prep", noun=noun_index, group=group, in_pp=True))
            if kind != "N":
                article = "a" if kind == "NPa" else "det"
                slots.append(Slot(article, noun=noun_index, group=group, in_pp=in_pp))
                slots.append(Slot("adj?", noun=noun_index, group=group, in_pp=in_pp))
            slots.append(
                Slot(
                    "bare" if kind == "N" else "noun",
                    classes=classes,
                    group=group,
                    in_pp=in_pp,
                    plural_ok=kind in ("NP", "PP"),
                )
            )
            for index in pending:
                slots[index] = Slot(slots[index].kind, noun=noun_index, group=slots[index].group)
            pending = []
            last_noun = noun_index
        elif kind in SUBJECT_VERB_KINDS or kind == "A<":
            slots.append(Slot(kind, noun=last_noun, group=group))
        elif kind in OBJECT_VERB_KINDS or kind == "A>":
            pending.append(len(slots))
            slots.append(Slot(kind, group=group))
        elif kind in PERSON_VERB_KINDS or kind in ("Tme", "Tyou"):
            slots.append(Slot(kind, group=group))
        elif token == "is":
            # "is" agrees with the noun before it ("the lanterns are gone").
            slots.append(Slot("lit", text=token, noun=last_noun, group=group))
        else:
            slots.append(Slot("lit", text=token, group=group))
    return tuple(slots)


#: The noun classes a theme head holds: a theme noun of one of them is a thing.
HELD_CLASSES: frozenset[str] = frozenset(
    name
    for frame in THEME_HEAD_FRAMES
    for slot in frame.slots
    if slot.kind in NOUN_KINDS
    for name in slot.classes
)


@dataclass(frozen=True)
class _Option:
    text: str
    pronunciation: Pronunciation | None
    weight: float
    base: str = ""  # the content word's base form ("roll" for "rolling"); "" for none

    @property
    def size(self) -> int:
        return self.pronunciation.syllable_count if self.pronunciation else 0


def realize(
    frame: Frame,
    length: int,
    strong: Sequence[bool],
    vocabulary: Vocabulary,
    rng: random.Random,
    *,
    end: EndRule | None = None,
    used: frozenset[str] = frozenset(),
    pinned: Sequence[tuple[str, str]] = (),
    tries: int = 3,
    require: frozenset[str] = frozenset(),
    free_end: bool = False,
) -> Clause | None:
    """The frame filled with exactly ``length`` syllables, or None if it cannot be.

    strong: per syllable of the clause, whether its note is strong.
    end: what the clause's last word must be (a rhyme).
    used: content words (base forms) of the song so far (rarely used again).
    pinned: (text, base form) for the frame's first slots (a repeated line's head),
        kept as given; the nouns after them must suit them.
    require: words (base forms) the clause should hold, one of them at least (the
        theme's); they are put in where they agree and much likelier chosen, but a
        clause without them may still come back.
    free_end: put a required word before the clause's last noun where it can go there
        (a line a hook will repeat with a new ending keeps the theme).
    """
    slots = frame.slots
    kept_manners = _kept_manners(slots, pinned, vocabulary)
    for _ in range(tries):
        manner = _manner(frame, rng)
        if kept_manners is not None and manner not in kept_manners:
            # A kept verb keeps its kind of place ("we stay beside ...", not "across").
            if not kept_manners:
                return None
            manner = rng.choice(sorted(kept_manners))
        chosen = _choose_nouns(
            slots, length, vocabulary, rng, end, used, pinned, require, manner, free_end
        )
        if chosen is None:
            continue
        nouns, plurals = chosen
        options = [
            _slot_options(index, slot, nouns, plurals, vocabulary, used, pinned, require, manner)
            for index, slot in enumerate(slots)
        ]
        if end is not None:
            last = len(slots) - 1
            options[last] = [
                option for option in options[last] if _ends_well(option, end, vocabulary)
            ]
        picked = _pick(options, length, strong, rng, end, vocabulary)
        if picked is None:
            continue
        content = [option.base for option in picked if option.base]
        if len({base[:ECHO_LETTERS] for base in content}) != len(content):
            continue  # a word twice in one clause ("we dance in the dancing light")
        texts = _agree_articles([option.text for option in picked])
        return Clause(
            frame,
            tuple(texts),
            tuple(nouns.values()),
            frozenset(content),
            tuple(option.base for option in picked),
        )
    return None


#: Slot kinds of a verb that a place may follow ("wait on the platform").
_PLACED_VERB_KINDS = frozenset({"V", "Va", "Vg", "v", "va", "vg", "Tme"})


def _kept_manners(
    slots: Sequence[Slot], pinned: Sequence[tuple[str, str]], vocabulary: Vocabulary
) -> frozenset[str] | None:
    """The manners a kept (pinned) verb allows, or None when no verb that a place
    follows is kept."""
    for slot, (_, base) in zip(slots, pinned, strict=False):
        if slot.kind in _PLACED_VERB_KINDS and base:
            part_of_speech = "tverb" if slot.kind == "Tme" else "verb"
            word = vocabulary.by_text(part_of_speech).get(base)
            if word is not None:
                return frozenset(word.flags) & frozenset(MANNERS)
    return None


def _manner(frame: Frame, rng: random.Random) -> str | None:
    """How the frame's place is reached: drawn by ``MANNERS`` when a verb comes before
    it, "rest" when no verb does, None when the frame has no place."""
    kinds = [slot.kind for slot in frame.slots]
    if "prep" not in kinds:
        return None
    if _PLACED_VERB_KINDS.isdisjoint(kinds[: kinds.index("prep")]):
        return "rest"
    return rng.choices(list(MANNERS), list(MANNERS.values()))[0]


def _choose_nouns(
    slots: Sequence[Slot],
    length: int,
    vocabulary: Vocabulary,
    rng: random.Random,
    end: EndRule | None,
    used: frozenset[str],
    pinned: Sequence[tuple[str, str]],
    require: frozenset[str],
    manner: str | None = None,
    free_end: bool = False,
) -> tuple[dict[int, Word], frozenset[int]] | None:
    """A noun for every noun slot, and the slots whose noun is sung in the plural."""
    candidates_of: dict[int, list[Word]] = {}
    nouns: dict[int, Word] = {}
    core_texts = vocabulary.core_texts
    tasted: set[str] = set()  # nouns from outside the palette
    for index, slot in enumerate(slots):
        if slot.kind not in NOUN_KINDS:
            continue
        if index < len(pinned):
            found = _noun_named(pinned[index][0], vocabulary)
            if found is None:
                return None
            nouns[index] = found
            continue
        candidates = _suiting_pinned(
            _agreeable_nouns(vocabulary, slots, index, manner, length),
            slots,
            index,
            pinned,
            vocabulary,
        )
        if slots[index].image and (index == len(slots) - 1 and end is not None):
            # A rhyme is found for the word as written: no plural at a rhymed end.
            candidates = [noun for noun in candidates if not noun.plural]
        elif slots[index].image:
            # The theme's own nouns are sung as the theme has them: "home", not "homes".
            candidates = [
                noun for noun in candidates if not (noun.plural and noun.text in core_texts)
            ]
        if index == len(slots) - 1 and end is not None:
            candidates = _ending_nouns(candidates, end, vocabulary)
            if not candidates and end.rhyme and vocabulary.whole is not None:
                # The song's palette has no rhyme that fits here: the whole vocabulary,
                # to this song's taste, the universal nouns likelier (see ``_tier``) but
                # not alone: then every song answered "-ee" with "sea" or "tree".
                whole = _suiting_pinned(
                    _agreeable_nouns(vocabulary.whole, slots, index, manner, length),
                    slots,
                    index,
                    pinned,
                    vocabulary,
                )
                candidates = _ending_nouns(whole, end, vocabulary)
                tasted.update(noun.text for noun in candidates)
        if not candidates:
            return None
        candidates_of[index] = candidates
    target: int | None = None
    if require:
        holders = [
            index
            for index, candidates in candidates_of.items()
            if any(
                noun.text in require and not (slots[index].image and noun.plural)
                for noun in candidates
            )
        ]
        if holders:
            if free_end and len(holders) > 1:
                target = rng.choice(holders[:-1])
            elif rng.random() < REQUIRED_AT_END_SHARE:
                target = holders[-1]
            else:
                target = rng.choice(holders)
            candidates_of[target] = [
                noun
                for noun in candidates_of[target]
                if noun.text in require and not (slots[target].image and noun.plural)
            ]
    plurals: set[int] = set()
    for index, candidates in candidates_of.items():
        taken = {chosen.text for chosen in nouns.values()}
        fresh = [noun for noun in candidates if noun.text not in taken]
        if not fresh:
            return None
        if index != target:
            fresh = _tier(
                fresh, vocabulary, rng, used, reaching=any(n.text in tasted for n in fresh)
            )
        weights = [
            noun.weight
            * (REUSED_WORD_FACTOR if noun.text in used else 1.0)
            * (
                vocabulary.taste(noun.text) ** TASTE_POWER * vocabulary.usage_factor(noun.text)
                if noun.text in tasted
                else 1.0
            )
            for noun in fresh
        ]
        if index == len(slots) - 1 and end is not None and end.partners > 0:
            # A rhyme group's first end word: every rhyme sound about as likely, or
            # the sounds with most words ("-ay": "away", "doorway", "highway") would
            # end most songs.
            weights = [
                weight * sound_weight(vocabulary, noun.text)
                for weight, noun in zip(weights, fresh, strict=True)
            ]
        noun = rng.choices(fresh, weights)[0]
        nouns[index] = noun
        rhymed = index == len(slots) - 1 and end is not None
        if (slots[index].image and noun.plural) or (
            slots[index].plural_ok
            and noun.plural
            and noun.text not in core_texts
            and not rhymed
            and not (slots[index].in_pp and noun.text in TIME_PREPOSITIONS)
            and rng.random() < PLURAL_SHARE
        ):
            plurals.add(index)
    return nouns, frozenset(plurals)


def _suiting_pinned(
    candidates: list[Word],
    slots: Sequence[Slot],
    index: int,
    pinned: Sequence[tuple[str, str]],
    vocabulary: Vocabulary,
) -> list[Word]:
    """The candidates for noun slot ``index`` that every kept verb or adjective agreeing
    with it ("I hold ..." of a hook) suits."""
    for other, (_, base) in enumerate(pinned):
        if slots[other].noun == index and base:
            candidates = [
                noun for noun in candidates if _pinned_suits(slots[other], base, noun, vocabulary)
            ]
    return candidates


def _ending_nouns(candidates: list[Word], end: EndRule, vocabulary: Vocabulary) -> list[Word]:
    """The nouns a clause may end on under ``end``."""
    # Computed once per rule whatever it takes away: a song asks for many.
    taken, end = end.taken, replace(end, taken=frozenset())
    key = ("ending nouns", end)
    if key not in vocabulary.memo:
        whole = vocabulary.whole or vocabulary
        texts = (
            ending_forms(whole).get(end.rhyme, frozenset())
            if end.rhyme
            else _endings(whole, 0)[1].keys()
        )
        vocabulary.memo[key] = frozenset(
            text for text in texts if _ends_well(_option(text, 1.0), end, vocabulary)
        )
    good: frozenset[str] = vocabulary.memo[key]  # type: ignore[assignment]
    return [noun for noun in candidates if noun.text in good and noun.text not in taken]


def _tier(
    candidates: list[Word],
    vocabulary: Vocabulary,
    rng: random.Random,
    used: frozenset[str],
    reaching: bool = False,
) -> list[Word]:
    """The theme's own nouns, its scenes' nouns, the genre's and mood's scenes' nouns or
    the rest, drawn by ``NOUN_TIERS`` among those present: the lexicon's hundreds of
    nouns would drown a theme's few. A tier whose every noun the song has sung is
    rarely drawn."""
    tier_of = _tier_of(vocabulary)
    tiers: tuple[list[Word], ...] = ([], [], [], [])
    for noun in candidates:
        tiers[tier_of.get(noun.text, 3)].append(noun)
    # Outside its own world a song reaches for the sky, the weather, the time of day,
    # not for someone's shoe or a subway; other nouns only when nothing else fits, or
    # now and then when ``reaching`` outside the palette for a rhyme, so that the few
    # universal nouns of a sound are not every song's answer.
    universal = [noun for noun in tiers[3] if not noun.classes.isdisjoint(UNIVERSAL_CLASSES)]
    if reaching and universal and len(universal) < len(tiers[3]):
        if rng.random() < UNIVERSAL_REACH_SHARE:
            tiers[3][:] = universal
        else:
            tiers[3][:] = [noun for noun in tiers[3] if noun.classes.isdisjoint(UNIVERSAL_CLASSES)]
    elif not reaching and (universal or any(tiers[:3])):
        tiers[3][:] = universal
    present = [
        (tier, share * (1.0 if any(noun.text not in used for noun in tier) else USED_TIER_FACTOR))
        for tier, share in zip(tiers, NOUN_TIERS, strict=True)
        if tier
    ]
    return rng.choices([tier for tier, _ in present], [share for _, share in present])[0]


def _tier_of(vocabulary: Vocabulary) -> dict[str, int]:
    """Text -> its tier (0 the theme's, 1 its scenes', 2 the genre's and mood's scenes');
    a word of the rest of the lexicon is not in it (tier 3)."""
    key = ("tiers",)
    if key not in vocabulary.memo:
        tiers = dict.fromkeys(vocabulary.leaning, 2)
        tiers.update(dict.fromkeys(vocabulary.associates, 1))
        tiers.update(dict.fromkeys((word.text for word in vocabulary.core_words), 0))
        vocabulary.memo[key] = tiers
    return vocabulary.memo[key]  # type: ignore[return-value]


def _agreeable_nouns(
    vocabulary: Vocabulary,
    slots: Sequence[Slot],
    index: int,
    manner: str | None,
    max_size: int | None = None,
) -> list[Word]:
    """The nouns of the slot's classes that every slot agreeing with it can go with
    (in this manner: see ``lexicon.MANNER_PREPOSITIONS``), of at most ``max_size``
    syllables when given."""
    slot = slots[index]
    kinds = tuple(sorted({other.kind for other in slots if other.noun == index}))
    key = ("nouns", slot.kind, slot.classes, kinds, slot.in_pp, manner, slot.image)
    if max_size is not None:
        sized_key = (*key, max_size)
        if sized_key not in vocabulary.memo:
            vocabulary.memo[sized_key] = [
                noun
                for noun in _agreeable_nouns(vocabulary, slots, index, manner)
                if noun.size <= max_size
            ]
        return vocabulary.memo[sized_key]  # type: ignore[return-value]
    if key not in vocabulary.memo:
        vocabulary.memo[key] = [
            noun
            for noun in vocabulary.nouns(slot.classes)
            if (slot.kind != "bare" or noun.text in BARE_NOUNS or noun.part_of_speech == "name")
            and (slot.kind == "bare" or noun.text not in BARE_ONLY_NOUNS)
            and (
                not slot.image
                or (noun.part_of_speech == "noun" and (noun.plural or noun.text in BARE_NOUNS))
            )
            and _agreeable(kinds, noun.text, noun.classes, noun.part_of_speech == "name", manner)
        ]
    return vocabulary.memo[key]  # type: ignore[return-value]


def rhyming_alternatives(clause: Clause, vocabulary: Vocabulary) -> int:
    """How many other nouns of the whole vocabulary could end the clause in place of
    its last noun and rhyme with it ("sea" -> "tree" under "beneath the ..."): what a
    hook that repeats the clause with a new ending can choose from (0 when the clause
    does not end on a noun)."""
    slots = clause.frame.slots
    last = len(slots) - 1
    if slots[last].kind not in NOUN_KINDS or not clause.texts[last]:
        return 0
    text = clause.texts[last]
    whole = vocabulary.whole or vocabulary
    return sum(
        noun.text != text
        and rhyme_of(noun.text) == rhyme_of(text)
        # An image at a rhymed end is sung as written, so not a noun sung in the plural.
        and not (slots[last].image and noun.plural)
        for noun in _agreeable_nouns(whole, slots, last, None)
    )


def _pinned_suits(slot: Slot, base: str, noun: Word, vocabulary: Vocabulary) -> bool:
    """Whether a kept word of ``slot`` (its base form) goes with ``noun``."""
    part_of_speech = (
        "tverb"
        if slot.kind in OBJECT_VERB_KINDS
        else "verb"
        if slot.kind in SUBJECT_VERB_KINDS
        else "adj"
        if slot.kind in ("adj?", "adj!", "A<", "A>")
        else ""
    )
    if not part_of_speech:
        return True
    word = vocabulary.by_text(part_of_speech).get(base)
    return word is None or word.suits(noun)


def _noun_named(text: str, vocabulary: Vocabulary) -> Word | None:
    for part_of_speech in ("noun", "name"):
        for word in vocabulary.words(part_of_speech):
            if text in (word.text, word.plural):
                return word
    return None


@cache
def _agreeable(
    kinds: tuple[str, ...],
    text: str,
    classes: frozenset[str],
    is_name: bool,
    manner: str | None = None,
) -> bool:
    """Whether every slot kind agreeing with a noun has at least one lexicon word that
    suits it (the same in every song)."""
    for kind in kinds:
        if kind in SUBJECT_VERB_KINDS and not _suiting_texts(
            "verb", text, classes, kind == "Va", manner if kind in _PLACED_VERB_KINDS else None
        ):
            return False
        if kind in OBJECT_VERB_KINDS and not _suiting_texts("tverb", text, classes, False):
            return False
        if kind in ("A<", "A>", "adj!") and (
            is_name or not _suiting_texts("adj", text, classes, False)
        ):
            return False
        if kind == "prep" and not _prepositions(text, classes, manner):
            return False
        if kind == "a" and (text in BARE_NOUNS or is_name):
            return False
    return True


def _unlike(words: Sequence[Word], noun: Word) -> list[Word]:
    """The words that do not echo the noun ("starry star", "summer summer")."""
    return [word for word in words if word.text[:4] != noun.text[:4]]


def _suiting(
    vocabulary: Vocabulary,
    part_of_speech: str,
    noun: Word,
    away: bool,
    manner: str | None = None,
) -> list[Word]:
    """The vocabulary's adjectives or verbs that go with ``noun`` (verbs: of this
    manner, when one is given)."""
    key = ("suits", part_of_speech, noun.text, away, manner)
    if key not in vocabulary.memo:
        by_text = vocabulary.by_text(part_of_speech)
        found = [
            by_text[text]
            for text in _suiting_texts(part_of_speech, noun.text, noun.classes, away, manner)
            if text in by_text
        ]
        # The theme's own words are not in the lexicon's table.
        found += [
            word
            for word in vocabulary.core_words
            if word.part_of_speech == part_of_speech
            and word not in found
            and word.suits(noun)
            and (not away or "away" in word.flags)
            and (manner is None or manner in word.flags)
        ]
        vocabulary.memo[key] = found
    return vocabulary.memo[key]  # type: ignore[return-value]


@cache
def _suiting_texts(
    part_of_speech: str,
    noun_text: str,
    noun_classes: frozenset[str],
    away: bool,
    manner: str | None = None,
) -> tuple[str, ...]:
    """The lexicon's adjectives or verbs that go with a noun (the same in every song)."""
    table = {"adj": ADJECTIVES, "verb": INTRANSITIVE_VERBS, "tverb": TRANSITIVE_VERBS}[
        part_of_speech
    ]
    return tuple(
        text
        for text, (suits, _, flags) in parse_entries(table).items()
        if (noun_text in suits or not suits.isdisjoint(noun_classes))
        and (not away or "away" in flags)
        and (manner is None or manner in flags)
    )


@cache
def _prepositions(
    noun_text: str, classes: frozenset[str], manner: str | None = None
) -> tuple[str, ...]:
    """The prepositions (with "the" where it belongs, as "through_the") a noun may
    follow: a time noun's own, a place name's, else those of its classes; a place's
    only those of the ``manner`` (see ``lexicon.MANNER_PREPOSITIONS``)."""
    if noun_text in TIME_PREPOSITIONS:
        return tuple(TIME_PREPOSITIONS[noun_text].split())
    if "city" in classes:
        classes = frozenset({"city"})
    allowed = MANNER_PREPOSITIONS[manner] if manner else None
    found: list[str] = []
    for name in sorted(classes):
        for preposition in PREPOSITIONS.get(name, "").split():
            if preposition not in found and (allowed is None or preposition in allowed):
                found.append(preposition)
    return tuple(found)


def _slot_options(
    index: int,
    slot: Slot,
    nouns: dict[int, Word],
    plurals: frozenset[int],
    vocabulary: Vocabulary,
    used: frozenset[str],
    pinned: Sequence[tuple[str, str]],
    require: frozenset[str],
    manner: str | None = None,
) -> list[_Option]:
    """Every word that may fill the slot, given the nouns chosen and the manner of
    the clause's place."""
    if index < len(pinned):
        text, base = pinned[index]
        return [_option(text, 1.0, base)] if text else [_Option("", None, 1.0)]
    noun = nouns.get(slot.noun) if slot.noun is not None else None
    plural = slot.noun in plurals
    # A time noun after a preposition takes its article with the preposition.
    timed = noun is not None and slot.in_pp and noun.text in TIME_PREPOSITIONS
    kind = slot.kind
    if kind in NOUN_KINDS:
        chosen = nouns[index]
        if index in plurals:
            return [_option(chosen.plural, chosen.weight, chosen.text)]
        return [_Option(chosen.text, chosen.pronunciation, chosen.weight, chosen.text)]
    if kind == "lit":
        if slot.text == "is" and plural:
            return [_option("are", 1.0)]
        return [_option(slot.text, 1.0)]
    if kind == "det":
        assert noun is not None
        if noun.part_of_speech == "name" or timed:
            return [_Option("", None, 1.0)]
        if plural:
            # A plural without an article opens a clause ("lanterns glow"); after a
            # verb or a preposition it takes one ("I hold the tickets").
            # After a preposition, too, now and then ("through windows").
            options = (
                [_Option("", None, 5.0)]
                if index == 0
                else [_Option("", None, BARE_PLURAL_WEIGHT)]
                if slot.in_pp
                else []
            )
            options.append(_option("the", 2.0))
            for name in (*sorted(noun.classes), noun.text):
                options += [
                    _option(det, 1.0)
                    for det in DETERMINERS.get(name, "").split()
                    if det not in ("this", "that")
                ]
            return _unique(options)
        options = [_option("the", 3.0)]
        for name in (*sorted(noun.classes), noun.text):
            options += [_option(det, 1.0) for det in DETERMINERS.get(name, "").split()]
        if noun.text in BARE_NOUNS:
            options.append(_Option("", None, 1.0))
        return _unique(options)
    if kind == "a":
        return [_option("a", 1.0)]
    if kind == "adj!":
        assert noun is not None
        return _word_options(
            _unlike(_suiting(vocabulary, "adj", noun, False), noun), used, "base", require
        )
    if kind == "adj?":
        assert noun is not None
        options = [_Option("", None, 4.0)]
        if noun.part_of_speech != "name" and not timed:
            options += _word_options(
                _unlike(_suiting(vocabulary, "adj", noun, False), noun), used, "base", require
            )
        return options
    if kind in ("A<", "A>"):
        assert noun is not None
        predicative = [
            word
            for word in _suiting(vocabulary, "adj", noun, False)
            if "attr" not in word.flags and not (kind == "A>" and word.text.endswith("ing"))
        ]
        return _word_options(_unlike(predicative, noun), used, "base", require)
    if kind == "prep":
        assert noun is not None
        if not timed:
            return [_option(text, 1.0) for text in _prepositions(noun.text, noun.classes, manner)]
        options = []
        adjectives = _word_options(
            _unlike(_suiting(vocabulary, "adj", noun, False), noun), used, "base", require
        )
        for text in _prepositions(noun.text, noun.classes):
            preposition, _, article = text.partition("_")
            options.append(_option(f"{preposition} {article}".strip(), 4.0))
            if article:
                options += [
                    _joined(f"{preposition} {article}", adjective) for adjective in adjectives
                ]
        return options
    placed = manner if kind in _PLACED_VERB_KINDS else None
    if kind in SUBJECT_VERB_KINDS:
        assert noun is not None
        verbs = _suiting(vocabulary, "verb", noun, kind == "Va", placed)
        form = SUBJECT_VERB_KINDS[kind]
        return _word_options(verbs, used, "base" if plural and form == "third" else form, require)
    if kind in PERSON_VERB_KINDS:
        verbs = [
            word
            for word in vocabulary.words("verb")
            if "person" in word.classes and (placed is None or placed in word.flags)
        ]
        if kind == "va":
            verbs = [word for word in verbs if "away" in word.flags]
        elif kind == "vw":
            # Something one does with someone: "dance with me", "walk with me".
            verbs = [word for word in verbs if not {"rest", "move"}.isdisjoint(word.flags)]
        return _word_options(verbs, used, PERSON_VERB_KINDS[kind], require)
    if kind in OBJECT_VERB_KINDS:
        assert noun is not None
        return _word_options(
            _suiting(vocabulary, "tverb", noun, False), used, OBJECT_VERB_KINDS[kind], require
        )
    if kind == "word":
        # A one-word line: any adjective or verb ("free", "shine").
        words = [*vocabulary.words("adj"), *vocabulary.words("verb")]
        return _word_options(words, used, "base", require)
    if kind == "Tme":
        verbs = [
            word
            for word in vocabulary.words("tverb")
            if "me" in word.flags and (placed is None or placed in word.flags)
        ]
        return _word_options(verbs, used, "base", require)
    if kind == "Tyou":
        verbs = [word for word in vocabulary.words("tverb") if "person" in word.classes]
        return _word_options(verbs, used, "base", require)
    raise AssertionError(f"unknown slot kind {kind!r}")  # pragma: no cover


def _word_options(
    words: Sequence[Word], used: frozenset[str], form: str, require: frozenset[str] = frozenset()
) -> list[_Option]:
    options = []
    for word in words:
        text, pronunciation = _inflected(word.text, form)
        if pronunciation is None:
            continue
        weight = word.weight * (REUSED_WORD_FACTOR if word.text in used else 1.0)
        if word.text in require:
            weight *= REQUIRED_WORD_FACTOR
        options.append(_Option(text, pronunciation, weight, word.text))
    return options


def _joined(head: str, option: _Option) -> _Option:
    """``head`` ("through the") followed by a word option ("cold")."""
    assert option.pronunciation is not None
    said = _phrase_pronunciation(head)
    pronunciation = Pronunciation(
        f"{head} {option.text}", said.syllables + option.pronunciation.syllables
    )
    return _Option(f"{head} {option.text}", pronunciation, option.weight, option.base)


@cache
def _phrase_pronunciation(text: str) -> Pronunciation:
    """How a few words are said together, each keeping its own stress ("through the":
    two unstressed syllables, as each would be alone)."""
    syllables: list[tuple[str, ...]] = []
    for word in text.split():
        said = pronounce(word)
        for syllable, stressed in zip(said.syllables, said.stresses, strict=True):
            syllables.append(
                tuple(
                    phoneme[:-1] + ("1" if stressed else "0") if phoneme[-1].isdigit() else phoneme
                    for phoneme in syllable
                )
            )
    return Pronunciation(text, tuple(syllables))


@cache
def _inflected(text: str, form: str) -> tuple[str, Pronunciation | None]:
    """The word in this form and how it is said (None when cmudict lacks the form)."""
    surface = {"base": text, "third": third_person(text), "gerund": gerund(text)}[form]
    pronunciation = pronounce(surface)
    return surface, None if pronunciation.guessed else pronunciation


def _option(text: str, weight: float, base: str = "") -> _Option:
    if " " in text:
        return _Option(text, _phrase_pronunciation(text), weight, base)
    return _Option(text, pronounce(text), weight, base)


def _unique(options: list[_Option]) -> list[_Option]:
    seen: dict[str, _Option] = {}
    for option in options:
        seen.setdefault(option.text, option)
    return list(seen.values())


def _short(length: int) -> int:
    """The clause length that limits its possible endings (0: none does)."""
    return length if length <= SHORT_CLAUSE else 0


def _ends_well(option: _Option, end: EndRule, vocabulary: Vocabulary) -> bool:
    if option.pronunciation is None or not option.text:
        return False
    if end.allowed is not None and option.text not in end.allowed:
        return False
    if option.text in end.taken:
        return False
    if end.open_vowel and not ends_open(option.text):
        return False
    rhyme = rhyme_of(option.text)
    if end.rhyme is not None and rhyme != end.rhyme:
        return False
    if rhyme in end.avoid_rhymes:
        return False
    if end.partners > 0 and not end.person_end and option.text in _PERSON_ENDINGS:
        # A rhyme group does not start on "me" or "you": every song would then look
        # for the same few rhymes ("sea", "tree", "avenue"); they may still answer one.
        return False
    # A rhyme missing from a song's palette is looked for in the whole vocabulary
    # (see ``_choose_nouns``): count the partners there, where every song finds more
    # sounds with rhymes to spare than in its palette alone.
    counted = vocabulary.whole or vocabulary
    return end.partners <= 0 or option.text in _rich_endings(
        counted, end.partners, _short(end.partner_length)
    )


def _rich_endings(vocabulary: Vocabulary, partners: float, short: int) -> frozenset[str]:
    """Words with rhymes worth at least ``partners`` in the vocabulary (see
    ``_PARTNER_WEIGHTS``; ``short`` > 0: among the words a line of that many syllables
    can end on)."""
    key = ("rich", partners, short)
    if key not in vocabulary.memo:
        forms_by_rhyme, weights = _endings(vocabulary, short)
        rich: set[str] = set()
        for forms in forms_by_rhyme.values():
            total = sum(weights[text] for text in forms)
            rich.update(text for text in forms if total - weights[text] >= partners)
        vocabulary.memo[key] = frozenset(rich)
    return vocabulary.memo[key]  # type: ignore[return-value]


def family_weight(vocabulary: Vocabulary, text: str) -> float:
    """The weight of all the endings that rhyme with ``text`` (itself included; see
    ``_PARTNER_WEIGHTS``), at least 1."""
    vocabulary = vocabulary.whole or vocabulary
    forms_by_rhyme, weights = _endings(vocabulary, 0)
    key = ("family", rhyme_of(text))
    if key not in vocabulary.memo:
        forms = forms_by_rhyme.get(rhyme_of(text), frozenset())
        vocabulary.memo[key] = max(1.0, sum(weights[form] for form in forms))
    return vocabulary.memo[key]  # type: ignore[return-value]


def sound_weight(vocabulary: Vocabulary, text: str) -> float:
    """How likely a rhyme group's first line is to end on ``text``: every rhyme sound
    about as likely (1 / ``family_weight``), times this song's taste for its sound
    (``Vocabulary.taste``, to the power ``SOUND_TASTE_POWER``), so that songs do not all
    reach for the few sounds with the most words ("-ee": "me", "sea", "tree")."""
    key = ("sound weight", text)
    if key not in vocabulary.memo:
        taste = vocabulary.taste(f"rhyme:{rhyme_of(text)}") ** SOUND_TASTE_POWER
        vocabulary.memo[key] = taste / family_weight(vocabulary, text)
    return vocabulary.memo[key]  # type: ignore[return-value]


@cache
def rhyme_of(text: str) -> str:
    """The rhyming part of a word as usually sung (see ``Pronunciation.rhyme``)."""
    return vocabulary_rhyme(pronounce(text))


#: Clauses this short end on a noun or a verb alone.
SHORT_CLAUSE = 2
#: Words a frame itself ends many clauses on ("hold me", "fades away").
_FRAME_ENDINGS = ("me", "you", "away")
_PERSON_ENDINGS = frozenset({"me", "you"})
#: How much a word counts as a rhyme partner: a noun or name fully, an adjective or a
#: verb (fewer frames end on them) half; a word outside the theme's, genre's and
#: mood's scenes a third as much, so that a song's rhymes come from its own world.
_PARTNER_WEIGHTS = {"noun": 1.0, "name": 1.0, "adj": 0.5, "verb": 0.5}
_OUTSIDE_SCENE_PARTNER = 0.5


def ending_forms(vocabulary: Vocabulary, short: int = 0) -> dict[str, frozenset[str]]:
    """Rhyme -> every word a clause of this vocabulary can end on with that rhyme: a
    noun or name, an adjective said after its noun, an intransitive verb ("roll",
    "rolls"), a frame's own last word ("me", "away"). ``short`` > 0: a clause of that
    many syllables, at most ``SHORT_CLAUSE``: a noun, adjective or verb of at most
    that size, as itself."""
    return _endings(vocabulary, short)[0]


def _endings(
    vocabulary: Vocabulary, short: int
) -> tuple[dict[str, frozenset[str]], dict[str, float]]:
    """``ending_forms`` and each ending's weight as a rhyme partner (see
    ``_PARTNER_WEIGHTS``)."""
    key = ("endings", short)
    if key not in vocabulary.memo:
        weights: dict[str, float] = {} if short else dict.fromkeys(_FRAME_ENDINGS, 1.0)
        themed = (
            {word.text for word in vocabulary.core_words}
            | vocabulary.associates
            | vocabulary.leaning
        )
        # With no scene switched on, no word is outside one; the shortest clauses take
        # any word that fits.
        scened = vocabulary.associates | vocabulary.leaning
        outside = _OUTSIDE_SCENE_PARTNER if scened and not short else 1.0
        for word in vocabulary.all_words:
            if word.part_of_speech == "tverb" or "attr" in word.flags:
                continue
            weight = _PARTNER_WEIGHTS[word.part_of_speech] * (
                1.0 if word.text in themed else outside
            )
            if short:
                texts = [word.text] if word.size <= short else []
            elif word.part_of_speech == "verb":
                # Not the "-ing" form: few frames end on it.
                texts = [
                    text
                    for text, said in (_inflected(word.text, form) for form in ("base", "third"))
                    if said is not None
                ]
            else:
                texts = [word.text]
            for text in texts:
                weights[text] = max(weight, weights.get(text, 0.0))
        forms: dict[str, set[str]] = {}
        for text in weights:
            pronunciation = pronounce(text)
            if not pronunciation.guessed or text[:1].isupper():
                forms.setdefault(vocabulary_rhyme(pronunciation), set()).add(text)
        vocabulary.memo[key] = (
            {rhyme: frozenset(found) for rhyme, found in forms.items()},
            weights,
        )
    return vocabulary.memo[key]  # type: ignore[return-value]


def _pick(
    options: Sequence[list[_Option]],
    length: int,
    strong: Sequence[bool],
    rng: random.Random,
    end: EndRule | None,
    vocabulary: Vocabulary,
) -> list[_Option] | None:
    """One option per slot, the sizes adding up to ``length``; None if impossible."""
    if any(not slot_options for slot_options in options):
        return None
    sizes = [sorted({option.size for option in slot_options}) for slot_options in options]
    reachable: list[set[int]] = [set() for _ in range(len(options) + 1)]
    reachable[-1] = {0}
    for index in range(len(options) - 1, -1, -1):
        reachable[index] = {
            size + rest
            for size in sizes[index]
            for rest in reachable[index + 1]
            if size + rest <= length
        }
    if length not in reachable[0]:
        return None
    picked: list[_Option] = []
    remaining = length
    position = 0
    for index, slot_options in enumerate(options):
        fitting = [
            option for option in slot_options if remaining - option.size in reachable[index + 1]
        ]
        weights = []
        for option in fitting:
            beats = strong[position : position + option.size]
            weight = option.weight * 3.0 ** stress_matches(
                option.pronunciation.stresses if option.pronunciation else (), beats
            )
            if end is not None and index == len(options) - 1 and end.partners > 0:
                # Every rhyme sound about as likely (see ``_choose_nouns``): "me" would
                # otherwise end half the songs.
                weight *= sound_weight(vocabulary, option.text)
            weights.append(weight)
        chosen = rng.choices(fitting, weights)[0]
        picked.append(chosen)
        remaining -= chosen.size
        position += chosen.size
    return picked


#: Vowels a singer can hold: long vowels and diphthongs.
OPEN_VOWELS = frozenset({"AA", "AO", "OW", "AY", "EY", "IY", "UW", "AW", "OY"})


@cache
def ends_open(word: str) -> bool:
    """Whether ``word`` ends on a long, open vowel a singer can hold ("free", "go",
    "sky", "away"), with no consonant after it."""
    if not word:
        return False
    last = pronounce(word).phonemes[-1]
    return last[:2] in OPEN_VOWELS


def _agree_articles(texts: Sequence[str]) -> list[str]:
    """ "a" before a vowel sound becomes "an" ("an ocean")."""
    result = list(texts)
    following = ""
    for index in range(len(texts) - 1, -1, -1):
        if texts[index] == "a" and following and pronounce(following).phonemes[0][:2] in VOWELS:
            result[index] = "an"
        if texts[index]:
            following = texts[index]
    return result


@cache
def frame_lengths(
    frame: Frame, vocabulary_sizes: tuple[tuple[str, tuple[int, ...]], ...]
) -> frozenset[int]:
    """Syllable counts the frame can roughly reach (ignoring agreement), for choosing
    frames that may fit a clause; ``vocabulary_sizes`` maps parts of speech to sizes."""
    sizes = dict(vocabulary_sizes)
    totals = {0}
    for slot in frame.slots:
        if slot.kind == "lit":
            options: tuple[int, ...] = (pronounce(slot.text).syllable_count,)
        elif slot.kind in ("det",):
            options = (0, 1, 2)
        elif slot.kind == "a":
            options = (1,)
        elif slot.kind == "adj?":
            options = (0, *sizes.get("adj", ()))
        elif slot.kind == "adj!":
            options = sizes.get("adj", (1,))
        elif slot.kind == "prep":
            options = (1, 2)
        elif slot.kind in NOUN_KINDS:
            options = sizes.get("noun", (1,))
            if slot.plural_ok:  # "carriages": a plural may add a syllable
                options = (*options, *(size + 1 for size in options))
        elif slot.kind in ("A<", "A>"):
            options = sizes.get("adj", (1,))
        elif slot.kind == "word":
            options = (*sizes.get("adj", (1,)), *sizes.get("verb", (1,)))
        elif slot.kind in ("T", "Tg", "Tme", "Tyou"):
            options = tuple(
                size + (1 if slot.kind == "Tg" else 0) for size in sizes.get("tverb", (1,))
            )
        else:
            options = tuple(
                size + (1 if slot.kind in ("Vg", "vg") else 0) for size in sizes.get("verb", (1,))
            )
        totals = {total + size for total in totals for size in options}
    return frozenset(totals)
