"""From a SingRequest to a score: checked, transposed, tempo-scaled, cut into phrases.

Everything a person can get wrong in a request is caught here, before any audio work,
with a message that says what to fix. The score is what every voice renders from: notes
on the output timeline in seconds, pitches as (possibly fractional) MIDI numbers after
transposition, syllables attached to notes, phrases that are sung in one breath.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from services.common.letters import is_sayable, unsayable_message
from services.common.music import (
    Melody,
    Note,
    Phrase,
    Syllable,
    continues_word,
    melody_number_problem,
)
from services.common.phrases import MAX_PHRASE_DURATION_S, MIN_REST_S, group_phrases
from services.synth.phonemes import arpabet_to_ipa
from services.synth.types import RangePolicy, SingOptions, SynthInputError

#: Sane bounds for a sung note: the piano's range (A0..C8). MIDI 0 or 127 is a mistake.
LOWEST_MIDI = 21
HIGHEST_MIDI = 108
#: Silence after the last note, in seconds, so the release is not cut off.
TAIL_S = 0.2
#: The longest consonant run allowed before a phrase's first note, in seconds.
MAX_PREROLL_S = 0.3
#: Notes may touch; overlaps up to this much (rounding in extracted melodies) are trimmed.
OVERLAP_TOLERANCE_S = 0.005


@dataclass(frozen=True)
class ScoreNote:
    """A note as sung: [onset_s, offset_s) on the output timeline, pitch after transposition.

    Inside a phrase a note lasts until the next onset (legato), so offset_s may be later
    than the written note's end.
    """

    onset_s: float
    offset_s: float
    midi_pitch: float

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s


@dataclass(frozen=True)
class ScoreSyllable:
    """A syllable sung on notes ``first_note .. first_note + note_count - 1`` of its phrase."""

    text: str
    arpabet: tuple[str, ...]
    first_note: int
    note_count: int
    word_index: int  # syllables of one word share it, numbered within the phrase


@dataclass(frozen=True)
class PhraseScore:
    """Notes sung in one breath and the syllables on them.

    preroll_s: how long before the first onset the phrase may start (for its first
        consonants), in seconds; never reaches into the previous phrase.
    """

    notes: list[ScoreNote]
    syllables: list[ScoreSyllable]
    preroll_s: float

    @property
    def onset_s(self) -> float:
        return self.notes[0].onset_s

    @property
    def offset_s(self) -> float:
        return self.notes[-1].offset_s

    def words(self) -> list[list[ScoreSyllable]]:
        """The syllables grouped by word, in order."""
        grouped: list[list[ScoreSyllable]] = []
        for syllable in self.syllables:
            if grouped and grouped[-1][0].word_index == syllable.word_index:
                grouped[-1].append(syllable)
            else:
                grouped.append([syllable])
        return grouped

    def lyrics_text(self) -> str:
        """The phrase's words as written ("twinkle twinkle little star")."""
        return " ".join(
            "".join(syllable.text.strip().rstrip("-") for syllable in word) for word in self.words()
        )

    def syllable_span_s(self, syllable: ScoreSyllable) -> tuple[float, float]:
        """Onset of the syllable's first note and offset of its last, in seconds."""
        return (
            self.notes[syllable.first_note].onset_s,
            self.notes[syllable.first_note + syllable.note_count - 1].offset_s,
        )


@dataclass(frozen=True)
class Score:
    phrases: list[PhraseScore]
    duration_s: float
    applied_transpose_semitones: int
    warnings: list[str]


def make_score(
    melody: Melody,
    syllables: list[Syllable],
    options: SingOptions,
    *,
    voice_range_midi: tuple[int, int],
    max_duration_s: float,
) -> Score:
    """Check a request and lay it out for singing.

    Args:
        melody: notes (and optionally phrases) on the input timeline.
        syllables: one entry per syllable, covering every note exactly once in order.
        options: transposition, tempo and limits.
        voice_range_midi: (lowest, highest) MIDI note the voice sings well.
        max_duration_s: refuse renders longer than this (after tempo scaling).

    Raises:
        SynthInputError: with a message that names the offending note or syllable.
    """
    _check_options(options)
    problem = melody_number_problem(melody)
    if problem is not None:
        raise SynthInputError(problem)
    notes = _checked_notes(melody.notes)
    _check_syllables(syllables, len(notes))

    shift = _transposition(notes, options, voice_range_midi)
    warnings = _range_warnings(notes, shift, voice_range_midi)
    scale = 1.0 / options.tempo_scale
    phrases = _phrase_spans(melody, notes, scale)
    note_phrase = {
        i: p for p, (first, count) in enumerate(phrases) for i in range(first, first + count)
    }
    for syllable in syllables:
        last_note = syllable.note_index + syllable.note_count - 1
        if note_phrase[syllable.note_index] != note_phrase[last_note]:
            raise SynthInputError(
                f"syllable '{syllable.text}' spans notes {syllable.note_index + 1}.."
                f"{last_note + 1}, which cross a phrase break; a syllable must stay within "
                "one phrase"
            )

    phrase_scores: list[PhraseScore] = []
    previous_end_s = 0.0
    syllable_position = 0
    word_index = 0
    for first, count in phrases:
        phrase_notes = notes[first : first + count]
        score_notes: list[ScoreNote] = []
        for i, note in enumerate(phrase_notes):
            onset_s = note.onset_s * scale
            # Legato: a note lasts until the next one in the phrase starts.
            offset_s = (
                phrase_notes[i + 1].onset_s * scale if i + 1 < count else note.offset_s * scale
            )
            score_notes.append(ScoreNote(onset_s, offset_s, note.midi_pitch + shift))

        phrase_syllables: list[ScoreSyllable] = []
        while (
            syllable_position < len(syllables)
            and syllables[syllable_position].note_index < first + count
        ):
            syllable = syllables[syllable_position]
            phrase_syllables.append(
                ScoreSyllable(
                    text=syllable.text,
                    arpabet=tuple(syllable.phonemes),
                    first_note=syllable.note_index - first,
                    note_count=syllable.note_count,
                    word_index=word_index,
                )
            )
            # A word never continues across a phrase break.
            if not continues_word(syllables, syllable_position):
                word_index += 1
            syllable_position += 1
        if phrase_syllables and continues_word(syllables, syllable_position - 1):
            word_index += 1

        onset_s = score_notes[0].onset_s
        preroll_s = max(0.0, min(MAX_PREROLL_S, onset_s - previous_end_s - 0.02))
        if not phrase_scores:
            preroll_s = min(MAX_PREROLL_S, onset_s)
        phrase_scores.append(PhraseScore(score_notes, phrase_syllables, preroll_s))
        previous_end_s = score_notes[-1].offset_s

    duration_s = phrase_scores[-1].offset_s + TAIL_S
    if duration_s > max_duration_s:
        raise SynthInputError(
            f"the song would last {duration_s:.1f} s; the limit is {max_duration_s:g} s"
        )
    return Score(phrase_scores, duration_s, shift, warnings)


def _check_options(options: SingOptions) -> None:
    # (name, value, allowed, what the message says is allowed); a message quotes the value.
    checks = [
        (
            "transpose_semitones",
            options.transpose_semitones,
            -24 <= options.transpose_semitones <= 24,
            "within -24..24",
        ),
        (
            "vibrato_depth_cents",
            options.vibrato_depth_cents,
            0 <= options.vibrato_depth_cents <= 100,
            "within 0..100",
        ),
        (
            "vibrato_rate_hz",
            options.vibrato_rate_hz,
            options.vibrato_depth_cents == 0 or 2 <= options.vibrato_rate_hz <= 12,
            "within 2..12",
        ),
        ("breathiness", options.breathiness, 0 <= options.breathiness <= 1, "within 0..1"),
        ("tempo_scale", options.tempo_scale, 0.25 <= options.tempo_scale <= 4, "within 0.25..4"),
        (
            "sample_rate_hz",
            options.sample_rate_hz,
            options.sample_rate_hz == 0 or 8000 <= options.sample_rate_hz <= 48000,
            "0 (the voice's rate) or within 8000..48000",
        ),
    ]
    for name, value, ok, allowed in checks:
        if not ok:
            raise SynthInputError(f"{name} must be {allowed}, not {value:g}")


def _checked_notes(notes: list[Note]) -> list[Note]:
    if not notes:
        raise SynthInputError("the melody has no notes")
    checked: list[Note] = []
    for i, note in enumerate(notes):
        if not LOWEST_MIDI <= note.midi_pitch <= HIGHEST_MIDI:
            raise SynthInputError(
                f"note {i + 1} has MIDI pitch {note.midi_pitch}, outside the singable "
                f"{LOWEST_MIDI}..{HIGHEST_MIDI}"
            )
        if not note.duration_s > 0:
            raise SynthInputError(
                f"note {i + 1} lasts {note.duration_s:g} s; every note needs a positive duration"
            )
        if note.onset_s < 0:
            raise SynthInputError(f"note {i + 1} starts at {note.onset_s:g} s, before the start")
        if checked:
            previous = checked[-1]
            if note.onset_s < previous.onset_s:
                raise SynthInputError(f"note {i + 1} starts before note {i}; sort the notes")
            overlap_s = previous.offset_s - note.onset_s
            if overlap_s > OVERLAP_TOLERANCE_S:
                raise SynthInputError(
                    f"note {i} overlaps note {i + 1} by {overlap_s * 1000:.0f} ms; "
                    "a voice sings one note at a time"
                )
            if overlap_s > 0:
                checked[-1] = Note(
                    previous.onset_s, note.onset_s - previous.onset_s, previous.midi_pitch
                )
        checked.append(note)
    return checked


def _check_syllables(syllables: list[Syllable], note_count: int) -> None:
    if not syllables:
        raise SynthInputError("the lyrics are empty: give one syllable per note")
    expected_note = 0
    unsayable: list[str] = []
    for i, syllable in enumerate(syllables):
        if not syllable.text.strip() and not syllable.phonemes:
            raise SynthInputError(f"syllable {i + 1} has neither text nor phonemes")
        # A syllable without phonemes is said from its spelling, which only works for
        # Latin letters and digits: Festival fails on others, piper spells them out.
        if not syllable.phonemes and not is_sayable(syllable.text):
            unsayable.append(syllable.text.strip())
        if syllable.note_count < 1:
            raise SynthInputError(
                f"syllable {i + 1} ('{syllable.text}') spans {syllable.note_count} notes; "
                "at least 1"
            )
        # Every voice must refuse the same phonemes (Festival would quietly say a word
        # its own way instead): checked here, before any voice sees them.
        arpabet_to_ipa(syllable.phonemes)
        if syllable.note_index != expected_note:
            raise SynthInputError(
                f"syllable {i + 1} ('{syllable.text}') is on note {syllable.note_index + 1} "
                f"(note_index {syllable.note_index}) but note {expected_note + 1} comes next: "
                "syllables must cover the notes in order, each note exactly once"
            )
        expected_note += syllable.note_count
    if unsayable:
        raise SynthInputError(
            unsayable_message(list(dict.fromkeys(unsayable))) + ", or give their ARPAbet phonemes"
        )
    if expected_note != note_count:
        raise SynthInputError(
            f"{len(syllables)} syllable(s) cover {expected_note} note(s) but the melody has "
            f"{note_count}: every note needs a syllable"
        )


def _transposition(
    notes: list[Note], options: SingOptions, voice_range_midi: tuple[int, int]
) -> int:
    lowest, highest = voice_range_midi
    pitches = [note.midi_pitch for note in notes]
    if options.range_policy is RangePolicy.KEEP:
        shift = 0
    elif options.range_policy is RangePolicy.FIT_SEMITONES:
        centre = (lowest + highest) / 2
        shift = round(centre - (min(pitches) + max(pitches)) / 2)
    else:
        # Fewest notes outside the range, then the smallest move, then the median nearest
        # the centre of the range.
        centre = (lowest + highest) / 2
        median = statistics.median(pitches)

        def cost(octaves: int) -> tuple[int, int, float]:
            moved = [p + 12 * octaves for p in pitches]
            outside = sum(1 for p in moved if not lowest <= p <= highest)
            return outside, abs(octaves), abs(median + 12 * octaves - centre)

        shift = 12 * min(range(-4, 5), key=cost)
    return shift + options.transpose_semitones


def _range_warnings(notes: list[Note], shift: int, voice_range_midi: tuple[int, int]) -> list[str]:
    lowest, highest = voice_range_midi
    below = sum(1 for n in notes if n.midi_pitch + shift < lowest)
    above = sum(1 for n in notes if n.midi_pitch + shift > highest)
    warnings = []
    if below:
        warnings.append(f"{below} note(s) are below the voice's range (MIDI {lowest})")
    if above:
        warnings.append(f"{above} note(s) are above the voice's range (MIDI {highest})")
    return warnings


def _phrase_spans(melody: Melody, notes: list[Note], scale: float) -> list[tuple[int, int]]:
    """(first note index, note count) per phrase, from the melody or from its rests.

    Without phrases in the melody, they are grouped as the pitch service groups them
    (``services.common.phrases``), on the timing as sung (``scale`` stretches time).
    """
    if melody.phrases and _phrases_cover(melody.phrases, len(notes)):
        return [(p.first_note_index, p.note_count) for p in melody.phrases]
    phrases = group_phrases(
        notes, min_rest_s=MIN_REST_S / scale, max_phrase_duration_s=MAX_PHRASE_DURATION_S / scale
    )
    return [(p.first_note_index, p.note_count) for p in phrases]


def _phrases_cover(phrases: list[Phrase], note_count: int) -> bool:
    expected = 0
    for phrase in phrases:
        if phrase.first_note_index != expected or phrase.note_count < 1:
            return False
        expected += phrase.note_count
    return expected == note_count
