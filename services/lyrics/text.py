"""From written text to the words that are sung: what the user typed, read as a singer would.

Lyrics a person types are sung as written. This module decides what "as written" means
for text that is not plain words, and says so for every change:

- **Letters.** Any Latin letter, accented or not ("Zoë’s crème brûlée"); curly and
  modifier apostrophes inside a word are apostrophes ("Don’t"). A word's syllables keep
  the user's spelling for display (see :class:`SungWord`); only the dictionary lookup
  uses the plain form. Letters of other scripts cannot be said by the English voice:
  the word is refused by name (``UnpronounceableError``), never replaced.
- **Hidden characters.** HTML entities (``&eacute;``, ``&#8217;``) are decoded; zero-width
  and bidirectional marks and control characters are removed. Text is taken in Unicode
  NFC (canonically the same text, so no warning).
- **Numbers, times, money, abbreviations** are said as words: "2024" -> "twenty
  twenty-four" (a year), "Call 911" -> "nine one one" (a number to dial), "10:30" -> "ten
  thirty", "$5" -> "five dollars", "Dr. Who" -> "doctor Who", "3rd" -> "third", "50%" ->
  "fifty percent", "U.S.A." and "BTS" -> their letters. Numbers become words with
  ``inflect`` (MIT); the readings of years, times, money and the abbreviation table
  are ours. The syllables of an expanded token spell the spoken words (a score shows
  "twen-ty twen-ty-four" under the notes, as sheet music writes numbers out), and a
  warning names the change.
- **Symbols** that are not words (emoji, "♥", a lone "$") are not sung; a warning names
  them. Punctuation is not sung and needs no warning: it stays in the line's text.

:func:`read_user_lyrics` is strict and collects warnings (user lyrics);
:func:`sung_words` and :func:`words_of` are lenient (text written by the lyricist or an
LLM, counted and repaired anyway): a word that cannot be said is left out.
"""

from __future__ import annotations

import calendar
import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from services.common.letters import is_latin, unsayable_message
from services.lyrics.errors import LyricsInputError
from services.lyrics.pronunciation import in_dictionary, is_known

if TYPE_CHECKING:
    import inflect

#: Apostrophes as people type them: ASCII, right single quote (what phones and word
#: processors write for "don't"), left single quote, modifier letter apostrophe, backtick.
APOSTROPHES = "'’‘ʼ`"
HYPHENS = "-‐‑"
#: Characters that are invisible when text is shown and never sung: zero-width space,
#: non-joiner and joiner, word joiner, byte order mark, soft hyphen, Mongolian vowel
#: separator, and the bidirectional marks and embeddings that RTL editors insert.
INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\u061c"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
#: The longest run of digits said as a number; longer runs are codes, said digit by digit.
MAX_NUMBER_DIGITS = 15
#: Words before a number that make it one to dial, said digit by digit ("call 911").
DIALLING_WORDS = frozenset({"call", "dial", "phone", "ring", "text", "tel", "fax", "number"})
#: Abbreviations said as words; a trailing period is optional only where marked "?".
#: "St." and "Dr." before a capitalised word are a saint and a doctor, else a street
#: and a drive.
ABBREVIATIONS = {
    "mr": "mister",
    "mrs": "missus",
    "ms": "miz",
    "dr": "doctor",
    "st": "saint",
    "prof": "professor",
    "jr": "junior",
    "sr": "senior",
    "mt": "mount",
    "ft": "fort",
    "capt": "captain",
    "lt": "lieutenant",
    "sgt": "sergeant",
    "col": "colonel",
    "gov": "governor",
    "rev": "reverend",
    "pres": "president",
    "ave": "avenue",
    "blvd": "boulevard",
    "rd": "road",
    "apt": "apartment",
    "vs": "versus",
    "etc": "et cetera",
    "approx": "approximately",
    "dept": "department",
    "feat": "featuring",
    "no": "number",
}
_TITLE_OR_PLACE = {"dr": "drive", "st": "street"}
#: Abbreviations that need no period ("Mr Smith" in British spelling) when a capitalised
#: word follows.
_UNDOTTED_TITLES = frozenset({"mr", "mrs", "ms", "dr", "st"})
#: Multi-letter abbreviations with periods inside.
DOTTED_ABBREVIATIONS = {"e.g.": "for example", "i.e.": "that is", "w/": "with", "w/o": "without"}
#: Units after a number: (singular, plural).
UNITS = {
    "km": ("kilometer", "kilometers"),
    "kg": ("kilogram", "kilograms"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "mph": ("mile per hour", "miles per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "mi": ("mile", "miles"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "sec": ("second", "seconds"),
    "bpm": ("beat per minute", "beats per minute"),
}
#: Currency symbols: (unit, units, cent, cents); "" where there is no smaller unit.
CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "", ""),
    "₹": ("rupee", "rupees", "paisa", "paise"),
}
_SCALES = {"k": "thousand", "m": "million", "bn": "billion", "b": "billion"}
_SCALE_WORDS = ("hundred", "thousand", "million", "billion", "trillion")
#: Symbols said as a word when they stand between words or before a number.
SYMBOL_WORDS = {"&": "and", "@": "at", "+": "plus", "=": "equals", "#": "number"}
#: Letter names as cmudict spells them ("a." is EY1, "w." is "double-u").
_LETTER_KEY = "{}."

#: Characters that are numbers but not digits (Unicode categories No and Nl, in the
#: Basic Multilingual Plane): vulgar fractions "½", superscripts "²", Roman numerals
#: "Ⅻ", circled numbers "①". Python's \w takes them for letters.
_NUMERALS = re.escape(
    "".join(
        character
        for character in map(chr, range(0x10000))
        if unicodedata.category(character) in ("No", "Nl")
        and unicodedata.numeric(character, None) is not None
    )
)
_LETTER = rf"(?:(?![{_NUMERALS}])[^\W\d_][\u0300-\u036f]*)"
_JOINERS = re.escape(APOSTROPHES + HYPHENS)
_WORD = rf"{_LETTER}+(?:[{_JOINERS}]{_LETTER}+)*"
_AMPM = r"(?P<{0}>[AaPp])\.?\s?[Mm]\.?(?![^\W\d_])"
_TOKENS = re.compile(
    "|".join(
        [
            rf"(?P<time>(?<![\d:.])(?P<hour>\d{{1,2}}):(?P<minute>[0-5]\d)(?!\d)(?::(?P<second>[0-5]\d)(?!\d))?(?:\s?{_AMPM.format('time_ampm')})?)",
            rf"(?P<clock>(?<![\d:.,])(?P<clock_hour>\d{{1,2}})\s?{_AMPM.format('clock_ampm')})",
            r"(?P<money>(?P<currency>[$€£¥₹])\s?(?P<amount>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{1,2})(?!\d))?"
            r"(?:\s?(?P<scale>hundred|thousand|million|billion|trillion|bn|[kKmMbB])(?![^\W\d_]))?)",
            r"(?P<centsign>(?P<cent_amount>\d+)\s?¢)",
            r"(?P<ordinal>(?P<ordinal_number>\d+)(?:st|nd|rd|th|ST|ND|RD|TH)(?![^\W\d_]))",
            r"(?P<percent>(?P<percent_number>\d+(?:\.\d+)?)\s?%)",
            r"(?P<date>(?<![\d/.-])(?:(?P<slash_first>\d{1,2})(?P<separator>[/-])(?P<slash_second>\d{1,2})(?P=separator)(?P<slash_year>\d{4}|\d{2})"
            r"|(?P<dot_day>\d{1,2})\.(?P<dot_month>\d{1,2})\.(?P<dot_year>\d{4})"
            r"|(?P<iso_year>\d{4})(?P<iso_separator>[/-])(?P<iso_month>\d{1,2})(?P=iso_separator)(?P<iso_day>\d{1,2}))(?!\d)(?![/.-]\d))",
            r"(?P<joined>\d+(?:[-.]\d+){2,}|\d+-\d+)",
            r"(?P<decimal>(?<![\d.])\d+\.\d+(?![\d.]))",
            r"(?P<fraction>(?<![\d/])(?P<numerator>\d+)/(?P<denominator>\d+)(?![\d/]))",
            r"(?P<decade>(?<![\w'’])['’]?(?P<decade_digits>\d{2}|\d{4})['’]?s(?![^\W\d_]))",
            rf"(?P<numeral>[{_NUMERALS}]+)",
            r"(?P<number>(?P<sign>(?<![\w\d])[-−](?=\d))?(?P<digits>\d{1,3}(?:,\d{3})+(?!\d)|\d+))",
            r"(?P<dotted>(?i:e\.g\.|i\.e\.|w/o|w/)(?!\w))",
            r"(?P<initials>(?:[^\W\d_]\.){2,})",
            rf"(?P<wordtoken>(?P<word>{_WORD})(?P<period>\.)?)",
            r"(?P<symbolword>(?<!\S)[&@+=](?!\S)|[&](?=[^\W\d_])|#(?=\d))",
        ]
    )
)


class UnpronounceableError(LyricsInputError):
    """Words of the user's lyrics that the English voice cannot say (``words`` holds them)."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        super().__init__(unsayable_message(words))


@dataclass(frozen=True)
class SungWord:
    """One word as sung.

    text: the letters its syllables show: the user's spelling ("Zoë’s"), one letter of
        an acronym ("B"), or a word of a spoken number ("twenty-"). The syllable texts
        of one written word concatenate to exactly the user's word, without the
        punctuation around it ("barbed-" + "wire" = "barbed-wire").
    lookup: the key for the pronunciation: lower case, apostrophes straightened
        ("zoë's", "b." for the letter B).
    starts_word: False when it continues the written word before it ("wire" of
        "barbed-wire", the "T" and "S" of "BTS").
    source: the token of the text it comes from ("2024", "Dr.", "Zoë’s").
    start, end: where that token is in the line's text (character offsets).
    """

    text: str
    lookup: str
    starts_word: bool
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class UserLine:
    """A line of the user's lyrics: its text as shown and its sung words."""

    text: str
    words: tuple[SungWord, ...]


@dataclass(frozen=True)
class UserText:
    """The user's lyrics, read: non-empty lines and what was changed (``warnings``)."""

    lines: tuple[UserLine, ...]
    warnings: tuple[str, ...]


def read_user_lyrics(text: str) -> UserText:
    """The user's lyrics as lines of sung words, with a warning for every change.

    Raises:
        UnpronounceableError: words in letters the voice cannot say, all named.
        LyricsInputError: the text has no word to sing.
    """
    warnings: list[str] = []
    cleaned = clean_text(text, warnings)
    lines: list[UserLine] = []
    unpronounceable: list[str] = []
    for raw_line in cleaned.splitlines():
        if not raw_line.strip():
            continue
        line = raw_line.strip()
        words = list(_sung_words(line, warnings, unpronounceable))
        if words:
            lines.append(UserLine(line, tuple(words)))
    if unpronounceable:
        raise UnpronounceableError(list(dict.fromkeys(unpronounceable)))
    if not lines:
        raise LyricsInputError("the lyrics to fit contain no words")
    return UserText(tuple(lines), tuple(dict.fromkeys(warnings)))


def sung_words(text: str) -> list[SungWord]:
    """The sung words of a line (lenient: words that cannot be said are left out)."""
    return list(_lenient_words(text))


@lru_cache(maxsize=65536)
def _lenient_words(text: str) -> tuple[SungWord, ...]:
    return tuple(_sung_words(clean_text(text, []), [], []))


def words_of(text: str) -> list[str]:
    """The pronunciation keys of the sung words of ``text``, in order.

    Punctuation and symbols are not sung and are dropped; numbers are said as words
    ("2 hearts" -> "two", "hearts"); "rock'n'roll" stays one word, "barbed-wire" is
    two.
    """
    return [word.lookup for word in sung_words(text)]


def clean_text(text: str, warnings: list[str]) -> str:
    """HTML entities decoded, invisible and control characters removed, NFC; every
    change appended to ``warnings``."""
    for _ in range(3):  # "&amp;eacute;" (encoded twice) needs two passes
        decoded = _ENTITY.sub(lambda match: _decoded_entity(match, warnings), text)
        if decoded == text:
            break
        text = decoded
    removed: dict[str, int] = {}
    kept: list[str] = []
    for index, character in enumerate(text):
        if character == _ZWJ and _joins_symbols(text, index):
            kept.append(character)  # part of an emoji sequence, reported with it
        elif character in INVISIBLE or (
            unicodedata.category(character) == "Cc" and character not in "\n\r\t"
        ):
            removed[character] = removed.get(character, 0) + 1
        else:
            kept.append(character)
    for character, count in removed.items():
        name = unicodedata.name(character, "CONTROL CHARACTER")
        times = "" if count == 1 else f" ({count} times)"
        warnings.append(f"removed the invisible character U+{ord(character):04X} {name}{times}")
    return unicodedata.normalize("NFC", "".join(kept))


_ZWJ = "\u200d"


def _joins_symbols(text: str, index: int) -> bool:
    """Whether a zero-width joiner at ``index`` glues two symbols (an emoji sequence)."""
    before = text[index - 1] if index else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return bool(before and after) and all(
        unicodedata.category(c)[0] == "S" or c == "\ufe0f" for c in (before, after)
    )


_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _decoded_entity(match: re.Match[str], warnings: list[str]) -> str:
    entity = match.group(0)
    decoded = html.unescape(entity)
    if decoded != entity:
        shown = (
            f"U+{ord(decoded):04X} {unicodedata.name(decoded, 'CONTROL CHARACTER')}"
            if len(decoded) == 1 and (decoded.isspace() or not decoded.isprintable())
            else f"'{decoded}'"
        )
        warnings.append(f"the HTML entity '{entity}' was read as {shown}")
    return decoded


def _sung_words(line: str, warnings: list[str], unpronounceable: list[str]) -> Iterator[SungWord]:
    position = 0
    previous_word = ""
    matches = list(_TOKENS.finditer(line))
    said_with_previous: set[int] = set()  # the "h" of "km/h"
    for index, match in enumerate(matches):
        if index in said_with_previous:
            continue
        _note_unsung(line[position : match.start()], warnings)
        position = match.end()
        following = matches[index + 1] if index + 1 < len(matches) else None
        kind = match.lastgroup
        token = match.group(0)
        if kind == "wordtoken":
            word = match.group("word")
            if not is_latin(word):
                unpronounceable.append(word)
                continue
            spoken = _abbreviation(word, match.group("period"), following)
            if spoken is not None:
                yield from _spoken(spoken, token.strip(), match, warnings)
            elif unit := _unit(word, previous_word, line[: match.start()]):
                per = _per_unit(line, match, following)
                if per is not None and following is not None:
                    # "5 km/h": one unit per another, said as such.
                    said_with_previous.add(index + 1)
                    position = following.end()
                    source = line[match.start() : following.end()]
                    yield from _spoken(
                        f"{unit} per {per}", source, match, warnings, end=following.end()
                    )
                else:
                    yield from _spoken(unit, token.strip(), match, warnings)
            else:
                yield from _written(*_with_elision(line, word, match.span("word")))
            previous_word = word
            continue
        if kind == "initials":
            if not is_latin(token):
                unpronounceable.append(token)
                continue
            yield from _letters(token, match)
            previous_word = token
            continue
        spoken_text = _say(match, previous_word)
        if spoken_text is None:
            _note_unsung(token, warnings)
            continue
        yield from _spoken(spoken_text, token.strip(), match, warnings)
        previous_word = token
    _note_unsung(line[position:], warnings)


#: Punctuation that marks phrasing and is never sung, so dropping it needs no warning.
_PHRASING = frozenset(",.;:!?¡¿…'\"()[]{}/-–—‐‑‒―‘’‚‛“”„‟«»‹›")


def _note_unsung(gap: str, warnings: list[str]) -> None:
    """Warn about symbols in text that is not sung ("@", "*", "℃"; phrasing punctuation
    and spaces need none)."""
    symbols = "".join(
        character
        for character in gap
        if not character.isspace()
        and character not in _PHRASING
        and (unicodedata.category(character)[0] in "SCP" or unicodedata.category(character) == "Mn")
    ).strip()
    if symbols:
        warnings.append(f"'{symbols}' is not a word and is not sung")


def _lookup(text: str) -> str:
    for apostrophe in APOSTROPHES[1:]:
        text = text.replace(apostrophe, "'")
    return unicodedata.normalize("NFKC", text).lower()


def _with_elision(line: str, word: str, span: tuple[int, int]) -> tuple[str, int, int]:
    """The word with an apostrophe before or after it that marks letters left out
    ("'til", "'cause", "'em", "lovin'", "'n'"), when the pronouncing dictionary knows
    it so: it changes how the word is said ("'em" is not the letter M) and is shown as
    written. A quotation mark ("'hello'") is not part of the word. Returns the word and
    its span in ``line``."""
    start, end = span
    before = start > 0 and line[start - 1] in APOSTROPHES
    before = before and (start == 1 or not line[start - 2].isalnum())
    after = end < len(line) and line[end] in APOSTROPHES
    after = after and (end + 1 == len(line) or not line[end + 1].isalnum())
    for lead, trail in ((before, after), (before, False), (False, after)):
        if not (lead or trail):
            continue
        elided = line[start - lead : end + trail]
        if _is_elision(_lookup(elided)):
            return elided, start - lead, end + trail
    return word, start, end


#: Elisions with an apostrophe on both sides, which cmudict lacks ("rock 'n' roll").
_ELIDED_BOTH_SIDES = frozenset({"'n'"})


def _is_elision(form: str) -> bool:
    """Whether ``form`` (lower case, straight apostrophes) is a word with letters left
    out: in cmudict as written ("'til", "'em", "o'", "dogs'"), a dropped g ("lovin'"
    for "loving"), or one of ``_ELIDED_BOTH_SIDES``."""
    if form in _ELIDED_BOTH_SIDES or in_dictionary(form):
        return True
    return form.endswith("in'") and in_dictionary(form[:-1] + "g")


def _written(word: str, start: int, end: int) -> Iterator[SungWord]:
    """A written word at ``line[start:end]``: split at hyphens, an acronym cmudict
    lacks into its letters."""
    parts = re.split(f"([{re.escape(HYPHENS)}])", word)
    pieces = [part + hyphen for part, hyphen in zip(parts[::2], [*parts[1::2], ""], strict=True)]
    for number, piece in enumerate(pieces):
        bare = piece.rstrip(HYPHENS)
        if not _is_acronym(bare):
            yield SungWord(piece, _lookup(bare), number == 0, word, start, end)
            continue
        # Each letter is a sung word of its own; the hyphen stays on the last letter.
        shown = list(bare)
        shown[-1] += piece[len(bare) :]
        for letter_number, (letter, text) in enumerate(zip(bare, shown, strict=True)):
            yield SungWord(
                text,
                _LETTER_KEY.format(_lookup(letter)),
                number == 0 and letter_number == 0,
                word,
                start,
                end,
            )


def _is_acronym(word: str) -> bool:
    """All capitals, 2..6 letters, and not a word cmudict knows ("BTS", but not "NASA")."""
    return 2 <= len(word) <= 6 and word.isupper() and word.isalpha() and not is_known(word)


def _letters(token: str, match: re.Match[str]) -> Iterator[SungWord]:
    """Initials with periods ("U.S.A."): one sung letter each, shown with its period."""
    for number, letter in enumerate(token[::2]):
        yield SungWord(
            letter + ".",
            _LETTER_KEY.format(_lookup(letter)),
            number == 0,
            token,
            match.start(),
            match.end(),
        )


def _spoken(
    spoken: str, source: str, match: re.Match[str], warnings: list[str], end: int | None = None
) -> Iterator[SungWord]:
    """Words said for a token that is not written as words; the change is a warning.

    ``spoken`` is words separated by spaces; "x." is the letter x said by its name.
    ``end``: where the text said ends, when past the token ("km/h").
    """
    shown_text = re.sub(r"\b(\w)\.(?=\s|-|$)", r"\1", spoken)
    warnings.append(f"'{source}' is sung as '{shown_text}'")
    for word in spoken.split():
        parts = re.split("-", word)
        for number, part in enumerate(parts):
            shown = part + ("-" if number < len(parts) - 1 else "")
            if len(part) == 2 and part.endswith("."):
                # A letter said by its name ("a." "m." of a.m.), shown without the period.
                shown, lookup = part[0] + shown[2:], _LETTER_KEY.format(part[0].lower())
            else:
                lookup = _lookup(part)
            yield SungWord(
                shown,
                lookup,
                number == 0,
                source,
                match.start(),
                match.end() if end is None else end,
            )


def _abbreviation(word: str, period: str | None, following: re.Match[str] | None) -> str | None:
    key = word.lower()
    if key not in ABBREVIATIONS or not (word.islower() or word.istitle()):
        return None
    next_is_name = (
        following is not None
        and following.lastgroup in ("wordtoken", "initials")
        and following.group(0)[:1].isupper()
    )
    if key == "no":
        # "No." is "number" only with its period and before a number ("No. 5").
        return "number" if period and following is not None and following.group("digits") else None
    if not period and not (key in _UNDOTTED_TITLES and next_is_name):
        return None
    if key in _TITLE_OR_PLACE and not next_is_name:
        return _TITLE_OR_PLACE[key]
    return ABBREVIATIONS[key]


#: Units of time after a slash ("km/h", "kg/min"): said "per" and their singular.
PER_UNITS = {
    "h": "hour",
    "hr": "hour",
    "hour": "hour",
    "min": "minute",
    "s": "second",
    "sec": "second",
}


def _per_unit(line: str, match: re.Match[str], following: re.Match[str] | None) -> str | None:
    """The unit after a slash right after this unit ("/h" of "km/h"), said in full."""
    if following is None or following.lastgroup != "wordtoken":
        return None
    if line[match.end() : following.start()].strip() != "/" or following.group("period"):
        return None
    return PER_UNITS.get(following.group("word").lower())


def _unit(word: str, previous_word: str, before: str) -> str | None:
    """A unit right after a number ("5km", "5 km") said in full."""
    key = word.lower()
    if key not in UNITS or not previous_word or not re.search(r"\d\s?$", before):
        return None
    singular, plural = UNITS[key]
    return singular if re.search(r"(?<![\d.])1\s?$", before) else plural


def _say(match: re.Match[str], previous_word: str) -> str | None:
    """The words for a number, time, amount or symbol token (None: not sung)."""
    kind = match.lastgroup
    if kind == "time":
        return _time(match)
    if kind == "clock":
        return f"{cardinal(match.group('clock_hour'))} {match.group('clock_ampm').lower()}. m."
    if kind == "money":
        return _money(match)
    if kind == "centsign":
        amount = int(match.group("cent_amount"))
        return f"{cardinal(str(amount))} {'cent' if amount == 1 else 'cents'}"
    if kind == "ordinal":
        engine = inflect_engine()
        return _words(str(engine.number_to_words(engine.ordinal(match.group("ordinal_number")))))
    if kind == "percent":
        return f"{_decimal(match.group('percent_number'))} percent"
    if kind == "date":
        return _date(match)
    if kind == "joined":
        groups = re.split(r"[-.]", match.group(0))
        if "-" in match.group(0) and len(groups) == 2 and _is_range(groups):
            return f"{number(groups[0])} to {number(groups[1])}"
        return " ".join(digits(group) for group in groups)
    if kind == "decimal":
        return _decimal(match.group(0))
    if kind == "decade":
        return _decade(match.group("decade_digits"))
    if kind == "fraction":
        return _fraction(int(match.group("numerator")), int(match.group("denominator")))
    if kind == "numeral":
        return numeral(match.group(0))
    if kind == "number":
        sign = "minus " if match.group("sign") else ""
        return sign + number(match.group("digits"), previous_word)
    if kind == "dotted":
        return DOTTED_ABBREVIATIONS[match.group(0).lower()]
    if kind == "symbolword":
        return SYMBOL_WORDS[match.group(0)]
    return None


def numeral(text: str) -> str | None:
    """Number characters that are not digits, as said: "½" -> "one half", "²³" ->
    "twenty-three" (superscript and circled digits read as digits), "Ⅻ" -> "twelve";
    None when one has no value said in words."""
    compatible = [unicodedata.normalize("NFKC", character) for character in text]
    if all(form.isdigit() and form.isascii() for form in compatible):
        return number("".join(compatible))
    said: list[str] = []
    for character, form in zip(text, compatible, strict=True):
        top, slash, bottom = form.partition("\u2044")  # FRACTION SLASH: "1⁄2"
        value = unicodedata.numeric(character)
        if slash and top.isdigit() and bottom.isdigit():
            said.append(_fraction(int(top), int(bottom)))
        elif value == int(value) and value >= 0:
            said.append(cardinal(str(int(value))))
        else:
            return None
    return " ".join(said)


def _decade(digits_text: str) -> str:
    """ "1990s" -> "nineteen nineties", "'90s" and "90s" -> "nineties", "1900s" ->
    "nineteen hundreds": the year (or the number) with its last word in the plural."""
    said = year(int(digits_text)) if len(digits_text) == 4 else cardinal(digits_text)
    head, _, last = said.replace("-", " ").rpartition(" ")
    plural = str(inflect_engine().plural_noun(last))
    return f"{head} {plural}".strip()


#: Denominators read as a fraction ("1/2", "5/8", "1/100"). With any other, or when the
#: top is not smaller than the bottom, a slash joins two numbers said in turn, as "24/7",
#: "9/11", "7/11" and "50/50" are said.
FRACTION_DENOMINATORS = frozenset({2, 3, 4, 5, 6, 8, 10, 12, 16, 32, 64, 100, 1000})
#: Denominators of scores and ratings: "9/10" is "nine out of ten", "0/10" "zero out of
#: ten", "10/10" "ten out of ten" (but "1/10" is "one tenth").
SCORE_DENOMINATORS = frozenset({10})
_FRACTION_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def _fraction(numerator: int, denominator: int) -> str:
    """ "1/2" -> "one half", "3/4" -> "three quarters", "2/3" -> "two thirds", "1/100" ->
    "one hundredth", "9/10" -> "nine out of ten"."""
    if denominator in SCORE_DENOMINATORS and numerator != 1 and numerator <= denominator:
        return f"{cardinal(str(numerator))} out of {cardinal(str(denominator))}"
    if not (0 < numerator < denominator and denominator in FRACTION_DENOMINATORS):
        return f"{cardinal(str(numerator))} {cardinal(str(denominator))}"
    if denominator in _FRACTION_NAMES:
        singular, plural = _FRACTION_NAMES[denominator]
    else:
        engine = inflect_engine()
        singular = _words(str(engine.number_to_words(engine.ordinal(str(denominator)))))
        # "one hundredth" of "1/100" is "one" and "hundredth", not "one one hundredth".
        singular = singular.removeprefix("one ")
        plural = f"{singular}s"
    return f"{cardinal(str(numerator))} {singular if numerator == 1 else plural}"


def _date(match: re.Match[str]) -> str:
    """A written date said as people say it: "3/4/2020" and "3-4-2020" -> "March fourth
    twenty twenty" (month first, as in the US, unless the first number cannot be a month:
    "25/12/2024" -> "December twenty-fifth ..."), "25.12.2024" (day first, unless the
    second number cannot be a month: "12.25.2024"), "2024-12-25"
    (ISO) and "2024/12/25" the same way; a two-digit year as said ("'05": "oh five").
    Numbers that make no date are said in turn."""
    if match.group("iso_year"):
        year_text, month, day = (
            match.group("iso_year"),
            int(match.group("iso_month")),
            int(match.group("iso_day")),
        )
    elif match.group("dot_year"):
        first, second = int(match.group("dot_day")), int(match.group("dot_month"))
        year_text = match.group("dot_year")
        # Day first, as in Europe, unless the second number cannot be a month.
        day, month = (second, first) if second > 12 >= first else (first, second)
    else:
        first, second = int(match.group("slash_first")), int(match.group("slash_second"))
        year_text = match.group("slash_year")
        month, day = (second, first) if first > 12 >= second else (first, second)
    numbers = re.findall(r"\d+", match.group(0))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return " ".join(number(text) for text in numbers)
    if len(year_text) == 4:
        said_year = year(int(year_text))
    elif year_text.startswith("0"):
        said_year = digits(year_text)
    else:
        said_year = cardinal(year_text)
    engine = inflect_engine()
    said_day = _words(str(engine.number_to_words(engine.ordinal(str(day)))))
    # calendar's names are English in the C locale, which no service changes.
    return f"{calendar.month_name[month]} {said_day} {said_year}"


def _is_range(groups: list[str]) -> bool:
    """ "9-5" and "1999-2004" are ranges; "555-1234" is a number to dial."""
    if all(len(group) <= 2 for group in groups):
        return True
    return all(len(group) == 4 and 1100 <= int(group) <= 2099 for group in groups)


@lru_cache(maxsize=1)
def inflect_engine() -> inflect.engine:
    """inflect's engine, imported on the first number to read: importing inflect takes
    seconds (typeguard instruments its functions), which no text without digits should pay.
    """
    import inflect

    return inflect.engine()


def _words(text: str) -> str:
    """inflect's words without its commas ("one million, two hundred" -> "... two ...")."""
    return " ".join(text.replace(",", " ").split())


def cardinal(digits_text: str) -> str:
    """A whole number as words, US style ("134" -> "one hundred thirty-four")."""
    plain = digits_text.replace(",", "")
    if len(plain.lstrip("0")) > MAX_NUMBER_DIGITS:
        return digits(plain)
    # inflect takes the digits as text (str(int(...)) drops leading zeros).
    return _words(str(inflect_engine().number_to_words(str(int(plain)), andword="")))


def digits(digits_text: str) -> str:
    """Digit by digit, zero as "oh" ("911" -> "nine one one", "007" -> "oh oh seven")."""
    return " ".join("oh" if digit == "0" else cardinal(digit) for digit in digits_text)


def year(value: int) -> str:
    """A year as said: 1984 "nineteen eighty-four", 1905 "nineteen oh five", 1900
    "nineteen hundred", 2000 "two thousand", 2007 "two thousand seven", 2024 "twenty
    twenty-four"."""
    century, rest = divmod(value, 100)
    if 2000 <= value < 2010:
        return cardinal(str(value))
    if rest == 0:
        return f"{cardinal(str(century))} hundred"
    if rest < 10:
        return f"{cardinal(str(century))} oh {cardinal(str(rest))}"
    return f"{cardinal(str(century))} {cardinal(str(rest))}"


def number(digits_text: str, previous_word: str = "") -> str:
    """A number said as in speech: digit by digit after a dialling word ("call 911"),
    with a leading zero or when too long to be a quantity; a year between 1100 and
    2099; else a cardinal."""
    plain = digits_text.replace(",", "")
    if (
        previous_word.lower() in DIALLING_WORDS
        or (len(plain) > 1 and plain.startswith("0"))
        or len(plain) > MAX_NUMBER_DIGITS
    ):
        return digits(plain)
    if "," not in digits_text and len(plain) == 4 and 1100 <= int(plain) <= 2099:
        return year(int(plain))
    return cardinal(plain)


def _decimal(text: str) -> str:
    whole, _, fraction = text.partition(".")
    said = cardinal(whole)
    return f"{said} point {digits(fraction).replace('oh', 'zero')}" if fraction else said


def _time(match: re.Match[str]) -> str | None:
    hour, minute = int(match.group("hour")), int(match.group("minute"))
    if hour > 24:
        return None
    ampm = match.group("time_ampm")
    said = [cardinal(str(hour))]
    if minute == 0 and not match.group("second"):
        said.append("" if ampm else "o'clock")
    elif minute < 10:
        said.append(f"oh {cardinal(str(minute))}")
    else:
        said.append(cardinal(str(minute)))
    if match.group("second"):
        said.append(f"and {cardinal(match.group('second'))} seconds")
    if ampm:
        said.append(f"{ampm.lower()}. m.")
    return " ".join(part for part in said if part)


def _money(match: re.Match[str]) -> str:
    unit, units, cent, cents = CURRENCIES[match.group("currency")]
    amount = match.group("amount").replace(",", "")
    scale = match.group("scale")
    if scale:
        scale_word = scale if scale in _SCALE_WORDS else _SCALES[scale.lower()]
        whole = _decimal(f"{amount}.{match.group('cents')}" if match.group("cents") else amount)
        return f"{whole} {scale_word} {units}"
    value = int(amount)
    said = []
    if value or not match.group("cents"):
        said.append(f"{cardinal(amount)} {unit if value == 1 else units}")
    if match.group("cents"):
        cent_value = int(match.group("cents").ljust(2, "0"))
        if cent and cent_value:
            said.append(f"{cardinal(str(cent_value))} {cent if cent_value == 1 else cents}")
        elif cent_value:
            return f"{_decimal(amount + '.' + match.group('cents'))} {units}"
    return " and ".join(said)
