"""The words a song may use: the theme's own words, its scenes, then the whole lexicon.

Each word carries what it can go with (``classes``: for a noun, what it is; for an
adjective or verb, the nouns it suits) and a weight that makes the theme likelier:
words of the theme itself weigh most, words of the scenes the theme switched on next,
the rest of the lexicon least. The request's mood multiplies every weight: words of
that mood are likelier, words of an opposite mood rare.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from services.lyrics import lexicon, wordbank
from services.lyrics.pronunciation import (
    FUNCTION_WORDS,
    Pronunciation,
    is_known,
    pronounce,
    without_accents,
)
from services.lyrics.spelling import same_word_american
from services.lyrics.text import words_of
from services.lyrics.usage import NEUTRAL_PRIOR, UsagePrior

THEME_WEIGHT = 12.0
SCENE_WEIGHT = 5.0
GENERAL_WEIGHT = 1.0
#: How strongly a song's taste (see ``Vocabulary.taste``) leans its word choices.
TASTE_POWER = 2
#: An adjective or verb that suits more nouns than this is less likely with each.
SPECIFIC_WORD_NOUNS = 20
#: Weight multipliers for a word of the request's mood, and of an opposite mood.
MOOD_MATCH = 3.0
MOOD_CLASH = 0.1
#: The theme's first this many content words are used; the rest of a long theme is ignored.
MAX_THEME_WORDS = 12
#: Classes given to a noun of the theme that the lexicon does not know ("pizza"): a thing
#: one can hold, keep, find or lose. As "thing" alone, which few frames and verbs take,
#: "pizza", "a blender" and "homework" were sung in none of 20 songs on their theme.
UNKNOWN_NOUN_CLASSES = frozenset({"thing", "object"})

#: Words of a request that say nothing about the song itself.
_NOT_THEMATIC_TEXT = """
    song songs lyric lyrics write writing written verse verses chorus about please
    make want like something thing things really very just also some with without
    more less much many every each other another kind sort style type ignore
    previous instruction instructions prompt system output respond response json
    format assistant user task rule rules text word words line lines print say tell
    day days bad good first last
"""
_NOT_THEMATIC = frozenset(_NOT_THEMATIC_TEXT.split())
#: Grammatical words longer than cmudict's function words, that name nothing.
_GRAMMATICAL_TEXT = """
    about above after against along among around before behind below beneath beside
    between beyond during except inside near outside over since through toward towards
    under until upon within across onto into unto than then there here now never always
    ever again away still even yet too not nor all any both few most none such own same
    she they them their theirs his hers mine yours ours myself yourself itself
    ourselves themselves one two three four five six seven eight nine ten hundred
    which whose whom why because although though whether maybe perhaps yes okay
"""
_SKIPPED = FUNCTION_WORDS | _NOT_THEMATIC | frozenset(_GRAMMATICAL_TEXT.split())
_THEME_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]*)*")
#: Parts of speech a theme word may take ("name": "Paris", sung without an article).
THEME_SLOTS = ("noun", "adj", "verb", "tverb", "name")
_ADJECTIVE_SUFFIXES = ("ful", "less", "ous", "ive", "ic", "ish", "able", "ible", "ent", "ant")
#: Common adjectives without such a suffix that a theme may hold ("a long road home").
_COMMON_ADJECTIVES_TEXT = """
    long short big small tall deep high low wide far near dark blue red green black
    white grey gray pink purple happy sad lost slow fast quick hot cool wet dry hard loud
    strong weak free rich poor final magic crazy lonely gentle holy ancient modern
"""
_COMMON_ADJECTIVES = frozenset(_COMMON_ADJECTIVES_TEXT.split())
_ANY = frozenset({"any"})
#: Words after which an "-ing" word is a noun ("a wedding", "my painting").
_DETERMINERS_TEXT = "a an the my your our his her their this that every"
_DETERMINERS = frozenset(_DETERMINERS_TEXT.split())
_SKIPPED_SUFFIXES = ("ly", "ing", "ed")  # adverbs and participles fit none of our slots


@dataclass(frozen=True)
class Word:
    """A word with its part of speech, pronunciation and how much the song wants it.

    classes: for a noun (or name) what it is ("vehicle", "sound"); for an adjective or
        a verb the noun classes, or single nouns, it goes with (a verb's subjects, a
        transitive verb's objects).
    moods: mood tags ("sad", "happy"); empty = neutral.
    flags: "away" (an intransitive verb sung with "away"), "me" (a transitive verb
        that takes a person: "hold me").
    """

    text: str
    part_of_speech: str
    pronunciation: Pronunciation
    weight: float
    classes: frozenset[str] = frozenset()
    moods: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    themed: bool = False
    #: A noun's plural ("trains"), "" when it has none we sing (mass nouns, names).
    plural: str = ""

    # Plain properties over cached functions: a song's palette makes new Words, and a
    # cached_property (which takes a lock) would cost more than it saves.
    @property
    def size(self) -> int:
        """Syllables."""
        return len(self.pronunciation.syllables)

    @property
    def stresses(self) -> tuple[bool, ...]:
        return stresses_of(self.pronunciation)

    @property
    def rhyme(self) -> str:
        return rhyme_of(self.pronunciation)

    def suits(self, noun: Word) -> bool:
        """Whether this adjective or verb goes with ``noun`` (by its classes or itself)."""
        return (
            "any" in self.classes
            or noun.text in self.classes
            or not self.classes.isdisjoint(noun.classes)
        )


@dataclass
class Vocabulary:
    """Words indexed by part of speech, syllable count, class and rhyme."""

    all_words: Sequence[Word]
    #: The theme's own words (one entry per part of speech they can take).
    core_words: tuple[Word, ...] = ()
    #: Words of the scenes the theme switched on ("platform" for "train").
    associates: frozenset[str] = frozenset()
    #: Words of the scenes the genre or mood switched on ("road" for country).
    leaning: frozenset[str] = frozenset()
    #: The request's moods ("sad", "love").
    moods: frozenset[str] = frozenset()
    #: For a song's palette, how much less likely each word is for being sung in many
    #: songs (see usage.py).
    usage: UsagePrior = NEUTRAL_PRIOR
    _by_slot: dict[tuple[str, int], list[Word]] = field(default_factory=dict, repr=False)
    _by_pos: dict[str, list[Word]] = field(default_factory=dict, repr=False)
    _by_rhyme: dict[str, list[Word]] = field(default_factory=dict, repr=False)
    _by_class: dict[str, list[Word]] = field(default_factory=dict, repr=False)
    #: For a song's palette, the vocabulary it was drawn from, and the song's own
    #: number for ``taste``.
    whole: Vocabulary | None = field(default=None, repr=False)
    salt: int = 0
    #: Answers computed once per vocabulary by the grammar (which words suit which).
    memo: dict[object, object] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for word in self.all_words:
            self._by_slot.setdefault((word.part_of_speech, word.size), []).append(word)
            self._by_pos.setdefault(word.part_of_speech, []).append(word)
            self._by_rhyme.setdefault(word.rhyme, []).append(word)
            if word.part_of_speech in ("noun", "name"):
                for name in word.classes:
                    self._by_class.setdefault(name, []).append(word)
        self.themed_words = tuple(word for word in self.all_words if word.themed)
        self.core_texts = frozenset(word.text for word in self.core_words)

    def palette(
        self,
        rng: random.Random,
        share: float,
        scene_share: float,
        usage: UsagePrior = NEUTRAL_PRIOR,
    ) -> Vocabulary:
        """This vocabulary for one song: every word of the theme, a random
        ``scene_share`` of the words of the scenes the request switched on, and a random
        ``share`` of the rest of the lexicon, each share times the word's factor in
        ``usage`` (which the palette keeps, for the song's other draws).

        Songs on different themes then also differ in their everyday words (one sings
        "quiet" and "wander", another "gentle" and "drift"), and songs on one theme in
        their images, instead of every song drawing the same likeliest ones.
        """
        scenes = self.associates | self.leaning
        # The song's draws, before its words are known: its taste and its usage factors.
        song = Vocabulary(
            (),
            core_words=self.core_words,
            associates=self.associates,
            usage=usage,
            whole=self,
            salt=rng.getrandbits(32),
        )
        kept = []
        for word in self.all_words:
            if word.text in self.core_texts:
                kept.append(word)
            elif rng.random() < (scene_share if word.text in scenes else share) * (
                song.usage_factor(word.text)
            ):
                # Each song has its own taste: a word likely in one song is less so in
                # the next.
                kept.append(
                    Word(
                        word.text,
                        word.part_of_speech,
                        word.pronunciation,
                        word.weight * song.taste(word.text) ** TASTE_POWER,
                        word.classes,
                        word.moods,
                        word.flags,
                        word.themed,
                        word.plural,
                    )
                )
        return Vocabulary(
            tuple(kept),
            core_words=self.core_words,
            associates=self.associates,
            leaning=self.leaning,
            moods=self.moods,
            usage=usage,
            whole=self,
            salt=song.salt,
        )

    def usage_factor(self, text: str) -> float:
        """How much less likely ``text`` is for being sung in many songs (see usage.py):
        1 for a word of the theme or of the scenes it switched on, which are the song's
        own images however often other songs sing them."""
        if text in self.associates or text in self.core_texts:
            return 1.0
        return self.usage.factor(text)

    def taste(self, text: str) -> float:
        """How much this song likes a word outside its palette, in (0, 1]: the same
        within a song, different from song to song, so that a rhyme the palette lacks
        is not the same word in every song ("sea" for "me")."""
        return (zlib.crc32(f"{self.salt}:{text}".encode()) % 1000 + 1) / 1000

    def sizes(self, part_of_speech: str) -> tuple[int, ...]:
        """The syllable counts available for a part of speech, ascending."""
        return tuple(sorted(size for pos, size in self._by_slot if pos == part_of_speech))

    def words(self, part_of_speech: str, size: int | None = None) -> Sequence[Word]:
        """Words of a part of speech (and size, when given)."""
        if size is None:
            return self._by_pos.get(part_of_speech, ())
        return self._by_slot.get((part_of_speech, size), ())

    def by_text(self, part_of_speech: str) -> dict[str, Word]:
        """The words of a part of speech by their text."""
        key = ("by_text", part_of_speech)
        if key not in self.memo:
            self.memo[key] = {word.text: word for word in self.words(part_of_speech)}
        return self.memo[key]  # type: ignore[return-value]

    def nouns(self, classes: Iterable[str]) -> list[Word]:
        """Nouns and names of any of these classes ("any": every noun)."""
        wanted = set(classes)
        if "any" in wanted:
            return [*self._by_pos.get("noun", ()), *self._by_pos.get("name", ())]
        found: dict[str, Word] = {}
        for name in sorted(wanted):
            for word in self._by_class.get(name, ()):
                found.setdefault(word.text, word)
        return list(found.values())

    def rhymes(self, rhyme: str) -> Sequence[Word]:
        """Every word (any part of speech) with this rhyming part."""
        return self._by_rhyme.get(rhyme, ())

    def choose(
        self,
        part_of_speech: str,
        size: int,
        strong: Sequence[bool],
        rng: random.Random,
        avoid: Iterable[str] = (),
    ) -> Word:
        """A word of ``size`` syllables whose stresses best suit the ``strong`` beats.

        Likelier when themed and when its stressed syllables meet strong notes; words
        in ``avoid`` are taken only when nothing else fits. Raises KeyError when the
        vocabulary has no such word.
        """
        candidates = self.words(part_of_speech, size)
        if not candidates:
            raise KeyError(f"no {size}-syllable {part_of_speech}")
        avoided = set(avoid)
        fresh = [word for word in candidates if word.text not in avoided] or list(candidates)
        weights = [word.weight * 3.0 ** stress_matches(word.stresses, strong) for word in fresh]
        return rng.choices(fresh, weights)[0]


@lru_cache(maxsize=65536)
def stresses_of(pronunciation: Pronunciation) -> tuple[bool, ...]:
    """``pronunciation.stresses``, computed once per pronunciation."""
    return pronunciation.stresses


@lru_cache(maxsize=65536)
def rhyme_of(pronunciation: Pronunciation) -> str:
    """``pronunciation.rhyme``, computed once per pronunciation."""
    return pronunciation.rhyme


def stress_matches(stresses: Sequence[bool], strong: Sequence[bool]) -> int:
    """How many syllables are stressed exactly where the notes are strong."""
    return sum(stress == beat for stress, beat in zip(stresses, strong, strict=False))


def request_moods(mood: str, genre: str, theme: str = "") -> frozenset[str]:
    """The moods a request asks for: named in its mood, implied by its genre (only when
    the mood names none) or, failing both, by its theme."""
    genre_words = words_of(genre) + words_of(genre.replace("-", "").replace(" ", ""))
    implied = " ".join(wordbank.GENRE_KEYS.get(word, "") for word in genre_words)
    for text in (mood, implied, theme):
        found = _moods_in(set(words_of(text)))
        if found:
            return found
    return frozenset()


def _moods_in(words: set[str]) -> frozenset[str]:
    return frozenset(
        name for name, keys in lexicon.MOOD_KEYS.items() if not words.isdisjoint(keys.split())
    )


def mood_factor(word_moods: frozenset[str], moods: frozenset[str]) -> float:
    """How much likelier a word (or frame) of ``word_moods`` is in a song of ``moods``."""
    if not moods or not word_moods:
        return 1.0
    if not word_moods.isdisjoint(moods):
        return MOOD_MATCH
    clashes = set().union(*(lexicon.OPPOSITE_MOODS[mood] for mood in moods))
    return MOOD_CLASH if not word_moods.isdisjoint(clashes) else 1.0


@lru_cache(maxsize=128)
def build_vocabulary(theme: str, mood: str, genre: str) -> Vocabulary:
    """The vocabulary for a request: theme words, its scenes, the whole lexicon."""
    theme_words = theme_content_words(theme)
    theme_keys = set(words_of(theme)) | {word.text.lower() for word in theme_words}
    request_words = set(words_of(f"{mood} {genre}")) | theme_keys
    for genre_word in words_of(genre.replace("-", "").replace(" ", "")) + words_of(genre):
        request_words.update(wordbank.GENRE_KEYS.get(genre_word, "").split())
    scenes = [
        scene for scene in wordbank.SCENES if not request_words.isdisjoint(scene.keys.split())
    ]
    # Scenes the theme itself switched on are the song's images; genre-implied ones
    # only lean a little.
    own_scenes = [scene for scene in scenes if not theme_keys.isdisjoint(scene.keys.split())]
    scene_nouns: dict[str, frozenset[str]] = {}
    for scene in scenes:
        scene_nouns.update(scene.new_nouns())
    associates = {
        text
        for scene in own_scenes
        for pos in wordbank.PARTS_OF_SPEECH
        for text in scene.words(pos)
    }
    leaning = {
        (text, pos)
        for scene in scenes
        for pos in wordbank.PARTS_OF_SPEECH
        for text in scene.words(pos)
    }
    moods = request_moods(mood, genre, theme)
    words: dict[tuple[str, str], Word] = {}
    for word in theme_words:
        words[(word.text, word.part_of_speech)] = word
    for base in _lexicon_words(tuple(sorted(scene_nouns.items()))):
        key = (base.text, base.part_of_speech)
        if key in words:
            continue
        # A scene's word is as likely however many nouns it suits; another word less
        # so the more it suits (see ``_lexicon_words``).
        weight = base.weight
        if key in leaning:
            weight = SCENE_WEIGHT if base.text in associates else SCENE_WEIGHT / 2
        weight *= mood_factor(base.moods, moods)
        themed = base.text in associates
        words[key] = (
            base
            if weight == base.weight and not themed
            else Word(
                base.text,
                base.part_of_speech,
                base.pronunciation,
                weight,
                base.classes,
                base.moods,
                base.flags,
                themed,
                base.plural,
            )
        )
    core = tuple(word for word in theme_words if word.part_of_speech in THEME_SLOTS)
    core_texts = {word.text for word in core}
    return Vocabulary(
        tuple(words.values()),
        core_words=core,
        associates=frozenset(associates) - core_texts,
        leaning=frozenset(text for text, _ in leaning) - associates - core_texts,
        moods=moods,
    )


@lru_cache(maxsize=256)
def _lexicon_words(extra_nouns: tuple[tuple[str, frozenset[str]], ...] = ()) -> tuple[Word, ...]:
    """Every lexicon word at weight 1 (plus the scenes' own nouns)."""
    words: list[Word] = []
    classes = dict(lexicon.noun_classes())
    for text, found in extra_nouns:
        classes[text] = classes.get(text, frozenset()) | found
    for text, found in classes.items():
        words.append(
            Word(text, "noun", pronounce(text), GENERAL_WEIGHT, found, plural=_plural_of(text))
        )
    for pos, table in (
        ("adj", lexicon.ADJECTIVES),
        ("verb", lexicon.INTRANSITIVE_VERBS),
        ("tverb", lexicon.TRANSITIVE_VERBS),
    ):
        for text, (suits, moods, flags) in lexicon.parse_entries(table).items():
            # A word that goes with everything would be everywhere ("old", "remember"):
            # the more nouns it suits, the less likely it is for each of them.
            suited = sum(
                text_ in suits or not suits.isdisjoint(found) for text_, found in classes.items()
            )
            weight = GENERAL_WEIGHT * min(1.0, SPECIFIC_WORD_NOUNS / max(suited, 1))
            words.append(Word(text, pos, pronounce(text), weight, suits, moods, flags))
    return tuple(words)


def theme_content_words(theme: str) -> list[Word]:
    """The theme's own words that can stand in our grammar, with a part of speech.

    A word the lexicon knows keeps its parts of speech and classes there; a name (a
    known place such as "Paris", or a word the lexicon does not know that is
    capitalized inside a theme written in sentence case, or at its start when cmudict
    lacks it) is a ``name`` of class "place", sung without "the"; a verb in "-ing" is
    its base verb ("learning" -> "learn") when the lexicon knows it; another word is an
    adjective by its suffix ("-ful", "-less") or else a noun of class "thing". Plurals
    become singular ("waves" -> "wave") and possessives lose their "'s"
    ("grandmother's" -> "grandmother"). Words cmudict lacks are kept (their
    pronunciation is guessed); accents are dropped ("café" -> "cafe"); grammatical
    words, words about the request itself and words not in the Latin alphabet ("東京")
    are skipped.
    """
    known = _lexicon_entries()
    found: dict[tuple[str, str], Word] = {}
    tokens = _THEME_TOKEN.findall(theme)
    # In ALL CAPS or Title Case, capitals say nothing about names.
    cased = not all(token[:1].isupper() for token in tokens)
    for index, token in enumerate(tokens):
        if len(found) >= MAX_THEME_WORDS:
            break
        token = without_accents(token)  # "café" is the lexicon's "cafe"
        if not token.isascii():
            continue
        is_name = token[:1].isupper() and ((cased and index > 0) or not is_known(token))
        after_determiner = index > 0 and tokens[index - 1].lower() in _DETERMINERS
        for word in _theme_words(token, is_name, known, after_determiner):
            found.setdefault((word.text, word.part_of_speech), word)
            if word.part_of_speech == "adj" and word.classes == _ANY and index + 1 < len(tokens):
                following = [
                    noun.text
                    for noun in _theme_words(tokens[index + 1], False, known)
                    if noun.part_of_speech == "noun"
                ]
                if following:
                    # "a long road home": "the long road", not "the long home".
                    found[(word.text, "adj")] = replace(word, classes=frozenset(following))
    # Another adjective of the theme the lexicon lacks goes with the theme's nouns, or
    # with any noun when the theme has none.
    nouns = frozenset(word.text for word in found.values() if word.part_of_speech == "noun")
    return [
        replace(word, classes=nouns) if word.classes == _ANY and nouns else word
        for word in found.values()
    ]


def _theme_words(
    token: str, is_name: bool, known: dict[str, list[Word]], after_determiner: bool = False
) -> list[Word]:
    """The vocabulary entries of one token of a theme; [] for a word we cannot use.

    after_determiner: the token follows "a", "the", "my", ...: an "-ing" word there is
    a noun ("a wedding"), not a verb ("wed").
    """
    text = token.lower()
    if text.endswith(("'s", "s'")):
        text = text[:-2] if text.endswith("'s") else text[:-1]
    if len(text) < 3 or "'" in text or text in _SKIPPED:
        return []
    if text in known:
        return [_themed(word) for word in known[text]]
    # A plural is a plural of a noun: "news" is not the adjective "new".
    nouns = [word for word in known.get(_singular(text), []) if word.part_of_speech == "noun"]
    if nouns:
        return [_themed(word) for word in nouns]
    # A British spelling of a lexicon word ("harbour") is that word; the lines are
    # respelled the theme's way afterwards (services.lyrics.spelling).
    for option in (text, _singular(text)):
        american = same_word_american(option)
        if american in known:
            return [_themed(word) for word in known[american]]
    singular = _singular(text)
    if singular in known:
        # Not a noun of the lexicon (those were found above): "news" is no plural of "new".
        singular = text
    if text in wordbank.PLACE_NAMES or (is_name and not text.endswith(_SKIPPED_SUFFIXES)):
        name = text[:1].upper() + text[1:]
        # A known place is sung as one ("in Paris"); another name as a person's
        # ("Maya sings", "with Maya").
        known_place = text in wordbank.PLACE_NAMES
        classes = frozenset({"city", "place", "name"} if known_place else {"name", "person"})
        return [Word(name, "name", pronounce(name), THEME_WEIGHT, classes, themed=True)]
    if text.endswith("ing") and not after_determiner:
        stem = _verb_stem(text)
        found = [
            _themed(word) for word in known.get(stem or "", []) if word.part_of_speech != "noun"
        ]
        if stem and not found and stem not in _SKIPPED:
            # A verb the lexicon lacks ("learning"): something a person does.
            return [
                Word(
                    stem,
                    "verb",
                    pronounce(stem),
                    THEME_WEIGHT,
                    frozenset({"person"}),
                    themed=True,
                )
            ]
        return found
    if text.endswith("ing") and after_determiner and is_known(text):
        # "a wedding", "the building": a thing.
        return [
            Word(
                text,
                "noun",
                pronounce(text),
                THEME_WEIGHT,
                UNKNOWN_NOUN_CLASSES,
                themed=True,
                plural=_plural_of(text),
            )
        ]
    if text.endswith(_SKIPPED_SUFFIXES):
        return []
    if text.endswith(_ADJECTIVE_SUFFIXES) or text in _COMMON_ADJECTIVES:
        return [Word(text, "adj", pronounce(text), THEME_WEIGHT, _ANY, themed=True)]
    return [
        Word(
            singular,
            "noun",
            pronounce(singular),
            THEME_WEIGHT,
            UNKNOWN_NOUN_CLASSES,
            themed=True,
            plural=_plural_of(singular),
        )
    ]


def _themed(word: Word) -> Word:
    return Word(
        word.text,
        word.part_of_speech,
        word.pronunciation,
        THEME_WEIGHT,
        word.classes,
        word.moods,
        word.flags,
        themed=True,
        plural=word.plural,
    )


@cache
def _plural_of(noun: str) -> str:
    """The noun's plural when it has one we sing and cmudict knows it, else ""."""
    if noun in lexicon.BARE_NOUNS or noun in lexicon.SINGULAR_ONLY_NOUNS:
        return ""
    form = lexicon.plural(noun)
    return form if is_known(form) else ""


def _verb_stem(text: str) -> str | None:
    """The base verb of an "-ing" form that cmudict knows ("learning" -> "learn",
    "dancing" -> "dance", "running" -> "run"), else None."""
    stem = text[:-3]
    options = [stem, stem + "e"]
    if re.search(r"[^aeiou][aeiou][^aeiouwxy]$", stem):
        options.reverse()  # "losing" -> "lose" (cmudict also has "los"), "coming" -> "come"
    if len(stem) > 2 and stem[-1] == stem[-2]:
        options.insert(0, stem[:-1])
    return next((option for option in options if len(option) > 1 and is_known(option)), None)


def _singular(text: str) -> str:
    if text.endswith("ies") and is_known(text[:-3] + "y"):
        return text[:-3] + "y"
    if text.endswith(("ches", "shes", "xes", "sses")) and is_known(text[:-2]):
        return text[:-2]
    if text.endswith("s") and not text.endswith(("ss", "us", "is")) and is_known(text[:-1]):
        return text[:-1]
    return text


@cache
def _lexicon_entries() -> dict[str, list[Word]]:
    """Lexicon words by text (a word may be a noun and a verb: "dream")."""
    entries: dict[str, list[Word]] = {}
    scene_nouns = {
        text: classes for scene in wordbank.SCENES for text, classes in scene.new_nouns().items()
    }
    for word in _lexicon_words(tuple(sorted(scene_nouns.items()))):
        entries.setdefault(word.text, []).append(word)
    return entries
