"""Festival's voices as singers: ``kal_diphone`` (a man, 16 kHz diphones) and
``cmu_us_slt_arctic_hts`` (a woman, 32 kHz HTS statistical parametric speech).

Festival says the phrase as plain speech, and a small Scheme hook dumps the utterance's
Segment relation (every phone's name, end time, syllable and token) next to its wave.
The speech is then sung exactly as the piper voices are
(:func:`services.synth.singing.sing_speech`): each vowel stretched over its note,
consonants kept short and placed before the onset, the sung contour on every voiced
frame. So the notes land where they are written (within a few ms, measured by Praat),
not where Festival's own singing mode would put them (its consonant offsets moved
note onsets by up to 100 ms).

Why plain speech and not Festival's singing mode (``-mode singing``, which was used
before): re-timed the same way, the singing mode measured worse. Its duration rules
give consonants odd lengths (a 300 ms "v", a 250 ms "k") that the re-timing has to
squeeze, and its vowels are the same diphones stretched by Festival, so they bring no
better material; on the test songs its onsets were off by up to 25 ms and its
voicing gaps longer, against 9 ms for speech (pitch errors equal or lower).

Festival's syllables are matched to ours word by word (tokens in order), by vowel
nuclei: with ARPAbet given, each word is added to Festival's lexicon with our own
syllables, so the two agree; otherwise a word Festival splits into more syllables than
ours has its extra ones merged into our last, one with fewer has its last vowel shared
among the remaining syllables (a melisma), and when even the words disagree (token
rules that expand "21" into two words) the same is done over the whole phrase.

Festival and its voices come from Debian (``apt-get install festival festvox-kallpc16k
festvox-us-slt-hts``); when one is missing its voice says so and is listed as
unavailable, nothing else breaks. The HTS voice's phone ends are the state durations its
parameter generation used, so they are where its sound changes, not diphone targets.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile
import soxr

from services.synth.engines.festival_session import FestivalError, FestivalPool, scheme_string
from services.synth.score import PhraseScore, ScoreSyllable
from services.synth.speech import PhonemeSpan, Speech


@dataclass(frozen=True)
class FestivalSpeaker:
    """One installed Festival voice: its name in Scheme, where it lies, its rate."""

    #: Festival's voice name; ``(voice_<name>)`` selects it.
    name: str
    #: The folder its Debian package installs.
    voice_dir: Path
    #: The Debian package that holds it.
    apt_package: str
    #: The rate its waves are written at, in Hz.
    sample_rate_hz: int
    #: The rate its speech is sung at (resampled to it first), in Hz: WORLD's analysis
    #: and synthesis cost grows with the rate and more with its FFT size (CheapTrick's is
    #: 2048 at 32 kHz, 1024 at 24 kHz), and a voice needs no more than 12 kHz of bandwidth.
    singing_rate_hz: int


KAL = FestivalSpeaker(
    "kal_diphone",
    Path("/usr/share/festival/voices/english/kal_diphone"),
    "festvox-kallpc16k",
    16000,
    16000,
)
SLT = FestivalSpeaker(
    "cmu_us_slt_arctic_hts",
    Path("/usr/share/festival/voices/us/cmu_us_slt_arctic_hts"),
    "festvox-us-slt-hts",
    32000,
    24000,
)
#: One phrase may not keep festival busy longer than this, in seconds.
TIMEOUT_S = 60.0
#: Festival's Lisp heap, in cons cells, of each running process. Its default (10 million,
#: 320 MB) is zeroed at every start, which took a second; one phrase (even a 20 s,
#: 70-word one, tried) needs far less, and garbage is collected between phrases.
HEAP_CELLS = 1_000_000
#: The running Festival processes every voice of this process speaks with.
_POOL = FestivalPool(HEAP_CELLS)

#: Festival's phones (the "radio" phone set, ARPAbet in lower case) as the one IPA
#: symbol per phone that :mod:`services.synth.singing` needs: a vowel or not, voiced or
#: not. Diphthongs are their first vowel (the one a singer holds).
_PHONE_SYMBOLS = {
    "aa": "ɑ",
    "ae": "æ",
    "ah": "ʌ",
    "ao": "ɔ",
    "aw": "a",
    "ax": "ə",
    "axr": "ɚ",
    "ay": "a",
    "eh": "ɛ",
    "er": "ɜ",
    "ey": "e",
    "ih": "ɪ",
    "iy": "i",
    "ow": "o",
    "oy": "ɔ",
    "uh": "ʊ",
    "uw": "u",
    "b": "b",
    "ch": "ʃ",
    "d": "d",
    "dh": "ð",
    "dx": "ɾ",
    "el": "l",
    "em": "m",
    "en": "n",
    "f": "f",
    "g": "ɡ",
    "hh": "h",
    "hv": "ɦ",
    "jh": "ʒ",
    "k": "k",
    "l": "l",
    "m": "m",
    "n": "n",
    "nx": "n",
    "ng": "ŋ",
    "p": "p",
    "r": "ɹ",
    "s": "s",
    "sh": "ʃ",
    "t": "t",
    "th": "θ",
    "v": "v",
    "w": "w",
    "y": "j",
    "z": "z",
    "zh": "ʒ",
}
#: Stand-ins for a phone missing from the table, by Festival's own features.
_UNKNOWN_VOWEL, _UNKNOWN_VOICED, _UNKNOWN_UNVOICED = "ə", "l", "h"

#: The Scheme run after the phrase's lexicon entries, its text (em_text) and the wave's
#: path (em_wave): it says the text, numbers syllables and tokens, writes every phone as
#: "EMSEG name end vowel voiced syllable token" to stderr (Festival's stdout is
#: buffered until it exits, see festival_session) and saves the wave.
_DUMP_SCHEME = """
(define (em_number items feature)
  (let ((n 0))
    (mapcar (lambda (item) (set! n (+ n 1)) (item.set_feat item feature n)) items)))
(set! em_utt (utt.synth (eval (list 'Utterance 'Text em_text))))
(em_number (utt.relation.items em_utt 'Syllable) "em_syl")
(em_number (utt.relation.items em_utt 'Token) "em_tok")
(mapcar
 (lambda (seg)
   (format stderr "EMSEG %s %f %s %s %s %s\\n" (item.name seg)
           (item.feat seg "end") (item.feat seg "ph_vc") (item.feat seg "ph_cvox")
           (item.feat seg "R:SylStructure.parent.em_syl")
           (item.feat seg "R:SylStructure.parent.parent.R:Token.parent.em_tok")))
 (utt.relation.items em_utt 'Segment))
(utt.save.wave em_utt em_wave 'riff)
"""
_SEG_LINE = re.compile(r"^EMSEG (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$", re.MULTILINE)
_PLAIN_WORD = re.compile(r"^[a-z']+$")
_SONORANTS = frozenset({"m", "n", "ng", "nx", "l", "el", "em", "en", "r", "w", "y"})
#: How far a phone boundary may move to the wave's voicing edge, and the frame step.
SNAP_WINDOW_S = 0.05
SNAP_FRAME_S = 0.002
SNAP_WINDOW_LENGTH_S = 0.02
#: A frame is voiced when its energy below 900 Hz is within this of the phrase's peak.
SONORANT_DB = -25.0
#: No phone is made shorter than this by the snapping.
MIN_PHONE_S = 0.01


@dataclass(frozen=True)
class Phone:
    """One phone of Festival's speech: [start_s, end_s) in its wave, and where it belongs."""

    name: str
    start_s: float
    end_s: float
    vowel: bool
    voiced: bool
    syllable: int  # Festival's syllable number, from 1; 0 for pauses
    token: int  # Festival's token number, from 1; 0 for pauses

    @property
    def sonorant(self) -> bool:
        """A vowel, nasal, liquid or glide: voiced from end to end."""
        return self.vowel or self.name in _SONORANTS

    @property
    def snaps_as_voiceless(self) -> bool:
        """A voiceless obstruent ("h", often breathy-voiced, is left alone)."""
        return not self.vowel and not self.voiced and self.syllable > 0 and self.name != "hh"

    @property
    def symbol(self) -> str:
        if self.name in _PHONE_SYMBOLS:
            return _PHONE_SYMBOLS[self.name]
        if self.vowel:
            return _UNKNOWN_VOWEL
        return _UNKNOWN_VOICED if self.voiced else _UNKNOWN_UNVOICED


def unavailable_reason(speaker: FestivalSpeaker = KAL) -> str | None:
    """Why Festival cannot sing with ``speaker`` here, or None when it can."""
    if shutil.which("festival") is None:
        return f"Festival is not installed (apt-get install festival {speaker.apt_package})"
    if not speaker.voice_dir.is_dir():
        return (
            f"Festival's {speaker.name} voice is not installed "
            f"(apt-get install {speaker.apt_package})"
        )
    return None


def _word_text(word: list[ScoreSyllable]) -> str:
    return "".join(s.text.strip().rstrip("-") for s in word)


def _said_text(word: list[ScoreSyllable], index: int) -> str:
    """The token Festival is given for a word: its text; or, for a word whose every
    syllable has ARPAbet but whose spelling is no plain word ("при", "東", "😀"), a
    stand-in of letters ("emword" and the word's index in letters) that the phrase's
    lexicon entry says with those phonemes: Festival fails on letters it cannot read,
    and a word with phonemes needs no reading."""
    text = _word_text(word)
    if _PLAIN_WORD.match(text.lower()) or not all(s.arpabet for s in word):
        return text
    letters = ""
    while True:
        index, digit = divmod(index, 26)
        letters += chr(ord("a") + digit)
        if index == 0:
            return f"emword{letters}"


def phrase_text(phrase: PhraseScore) -> str:
    """The phrase's words as a Scheme string literal, one token per word."""
    return scheme_string(
        " ".join(_said_text(word, index) for index, word in enumerate(phrase.words()))
    )


def lexicon_scheme(phrase: PhraseScore) -> str:
    """Festival lexicon entries that make it say each word with our syllables.

    Only for words whose every syllable has ARPAbet (said as a stand-in when their text
    is no plain word, see ``_said_text``; Festival looks words up in lower case); the
    others keep Festival's pronunciation.
    """
    entries = []
    for index, word in enumerate(phrase.words()):
        text = _said_text(word, index).lower()
        if not _PLAIN_WORD.match(text) or not all(s.arpabet for s in word):
            continue
        syllables = []
        for syllable in word:
            phones = []
            stressed = 0
            for phoneme in syllable.arpabet:
                name = phoneme.rstrip("012").lower()
                if name not in _PHONE_SYMBOLS:
                    break
                if phoneme[-1:] in ("1", "2"):
                    stressed = 1
                phones.append(name)
            else:
                syllables.append(f"(({' '.join(phones)}) {stressed})")
                continue
            break  # a phoneme Festival does not know: keep its own pronunciation
        else:
            entries.append(f'(lex.add.entry \'("{text}" nil ({" ".join(syllables)})))')
    return "\n".join(entries)


def speak(phrase: PhraseScore, speaker: FestivalSpeaker = KAL) -> tuple[np.ndarray, list[Phone]]:
    """Festival's speech of the phrase: float32 samples at ``speaker.sample_rate_hz`` and
    its phones in order. Raises RuntimeError when festival fails (the message carries its
    output)."""
    with tempfile.TemporaryDirectory(prefix="festival-") as folder:
        work = Path(folder)
        wave = work / "speech.wav"
        # The session's voice is selected, and its lexicon is what our entries extend.
        script = "\n".join(
            [
                lexicon_scheme(phrase),
                f"(set! em_text {phrase_text(phrase)})",
                f"(set! em_wave {scheme_string(wave)})",
                _DUMP_SCHEME,
            ]
        )
        (work / "sing.scm").write_text(script, encoding="utf-8")
        with _POOL.session(speaker.name) as session:
            output = session.run(f"(load {scheme_string(work / 'sing.scm')})", TIMEOUT_S)
        matches = _SEG_LINE.findall(output)
        if not matches or not wave.exists():
            raise FestivalError(f"festival failed: {output.strip()[-300:]}")
        samples, rate = soundfile.read(io.BytesIO(wave.read_bytes()), dtype="float32")
    if rate != speaker.sample_rate_hz:
        raise RuntimeError(f"festival spoke at {rate} Hz, not {speaker.sample_rate_hz}")
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    phones: list[Phone] = []
    start_s = 0.0
    for name, end, vc, cvox, syllable, token in matches:
        end_s = float(end)
        if end_s > start_s:
            phones.append(
                Phone(
                    name,
                    start_s,
                    end_s,
                    vowel=vc == "+",
                    voiced=cvox != "-",
                    syllable=int(float(syllable)),
                    token=int(float(token)),
                )
            )
        start_s = max(start_s, end_s)
    return samples.astype(np.float32), phones


def assign_syllables(phones: list[Phone], word_sizes: list[int]) -> list[list[Phone]]:
    """Festival's phones divided among our syllables (``word_sizes``: our syllables per
    word, in order); see the module's notes on how disagreements are resolved.

    A vowel shared among several syllables is cut into equal consecutive pieces.
    """
    syllables: dict[int, list[Phone]] = {}
    tokens: dict[int, list[int]] = {}
    for phone in phones:
        if phone.syllable:
            if phone.syllable not in syllables:
                tokens.setdefault(phone.token, []).append(phone.syllable)
            syllables.setdefault(phone.syllable, []).append(phone)
    festival_words = [[syllables[s] for s in tokens[t]] for t in sorted(tokens)]
    if len(festival_words) != len(word_sizes) or not all(festival_words):
        festival_words = [[syllable for word in festival_words for syllable in word]]
        word_sizes = [sum(word_sizes)]
    assigned: list[list[Phone]] = []
    for theirs, size in zip(festival_words, word_sizes, strict=True):
        assigned.extend(_match_word(theirs, size))
    return assigned


def _match_word(theirs: list[list[Phone]], size: int) -> list[list[Phone]]:
    """One word's Festival syllables as ``size`` syllables of ours."""
    if len(theirs) >= size:
        # Extra syllables (or an equal count) go to our last syllable of the word.
        merged = [phone for syllable in theirs[size - 1 :] for phone in syllable]
        return [*theirs[: size - 1], merged]
    if not theirs:
        return [[] for _ in range(size)]
    last = theirs[-1]
    vowel = next((i for i, p in enumerate(last) if p.vowel), len(last) // 2)
    shared = size - len(theirs) + 1
    core = last[vowel]
    step_s = (core.end_s - core.start_s) / shared
    pieces = [
        Phone(
            core.name,
            core.start_s + k * step_s,
            core.start_s + (k + 1) * step_s,
            core.vowel,
            core.voiced,
            core.syllable,
            core.token,
        )
        for k in range(shared)
    ]
    split = [[piece] for piece in pieces]
    split[0] = [*last[:vowel], *split[0]]
    split[-1] = [*split[-1], *last[vowel + 1 :]]
    return [*theirs[:-1], *split]


def snap_to_voicing(
    samples: np.ndarray, phones: list[Phone], sample_rate_hz: int = KAL.sample_rate_hz
) -> list[Phone]:
    """Phones whose boundaries between a sonorant (vowel, nasal, liquid, glide) and a
    voiceless obstruent are moved to where the wave's voicing really starts or stops,
    within ``SNAP_WINDOW_S``.

    Festival's segment ends are the targets its diphone synthesis aimed at; the sound it
    made lags or leads them by up to 40 ms (a vowel running on into the "s" after it).
    Singing puts each phone's spectrum in its own slot, so a vowel's tail left inside an
    "s" would be sung as noise through a vowel's formants, which is heard (and tracked)
    as a stray pitch. Voicing is read from the energy below 900 Hz, which a sonorant
    has and a voiceless consonant lacks: it is within ``SONORANT_DB`` of the phrase's
    loudest frame there. (WORLD's DIO voices most of an "s" of this voice; Harvest is
    right but costs a second per phrase.)
    """
    signal = samples.astype(np.float64)
    hop = round(SNAP_FRAME_S * sample_rate_hz)
    width = round(SNAP_WINDOW_LENGTH_S * sample_rate_hz)
    if signal.size < width + hop:
        return phones
    frames = np.lib.stride_tricks.sliding_window_view(signal, width)[::hop] * np.hanning(width)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    frequencies_hz = np.fft.rfftfreq(width, 1.0 / sample_rate_hz)
    low_band = (frequencies_hz >= 80) & (frequencies_hz <= 900)
    low_db = 10 * np.log10(power[:, low_band].sum(axis=1) + 1e-12)
    sonorant = low_db > low_db.max() + SONORANT_DB
    times_s = (np.arange(sonorant.size) * hop + width / 2) / sample_rate_hz
    changes = np.flatnonzero(sonorant[1:] != sonorant[:-1])
    edge_times_s = (times_s[changes] + times_s[changes + 1]) / 2
    edge_rising = sonorant[changes + 1]
    snapped = list(phones)
    for i in range(len(snapped) - 1):
        before, after = snapped[i], snapped[i + 1]
        if not (
            (before.sonorant and after.snaps_as_voiceless)
            or (before.snaps_as_voiceless and after.sonorant)
        ):
            continue
        near = (
            (edge_rising == after.sonorant)
            & (np.abs(edge_times_s - before.end_s) <= SNAP_WINDOW_S)
            & (edge_times_s >= before.start_s + MIN_PHONE_S)
            & (edge_times_s <= after.end_s - MIN_PHONE_S)
        )
        if near.any():
            candidates = edge_times_s[near]
            boundary_s = float(candidates[np.argmin(np.abs(candidates - before.end_s))])
            snapped[i] = replace(before, end_s=boundary_s)
            snapped[i + 1] = replace(after, start_s=boundary_s)
    return snapped


def festival_speech(phrase: PhraseScore, speaker: FestivalSpeaker = KAL) -> Speech:
    """The phrase said by Festival's ``speaker``, its spans numbered by our syllables.

    Raises RuntimeError when Festival or the voice is missing or fails.
    """
    reason = unavailable_reason(speaker)
    if reason:
        raise RuntimeError(reason)
    samples, phones = speak(phrase, speaker)
    phones = snap_to_voicing(samples, phones, speaker.sample_rate_hz)
    assigned = assign_syllables(phones, [len(word) for word in phrase.words()])
    if not any(any(p.vowel for p in syllable) for syllable in assigned):
        raise RuntimeError(f"festival said no vowel for '{phrase.lyrics_text()}'")
    rate = speaker.singing_rate_hz
    if rate != speaker.sample_rate_hz:
        samples = soxr.resample(samples, speaker.sample_rate_hz, rate).astype(np.float32)
    spans = [
        PhonemeSpan(
            phone.symbol,
            index,
            round(phone.start_s * rate),
            min(samples.size, round(phone.end_s * rate)),
        )
        for index, syllable in enumerate(assigned)
        for phone in syllable
    ]
    return Speech(samples, rate, spans)
