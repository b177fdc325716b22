"""Small songs for tests and benchmarks: notes plus syllables with ARPAbet, as the
lyrics service would hand them to the synth.

A song is written as phrases of (syllable, ARPAbet, MIDI pitch, beats) with a rest in
beats between phrases; "-" at the end of a syllable joins it to the next in one word.
"""

from __future__ import annotations

from services.common.music import Melody, Note, Phrase, Syllable

Line = list[tuple[str, str, int, float]]

TWINKLE: list[Line] = [
    [
        ("twin-", "T W IH1 NG", 60, 1),
        ("kle", "K AH0 L", 60, 1),
        ("twin-", "T W IH1 NG", 67, 1),
        ("kle", "K AH0 L", 67, 1),
        ("lit-", "L IH1", 69, 1),
        ("tle", "T AH0 L", 69, 1),
        ("star", "S T AA1 R", 67, 2),
    ],
    [
        ("how", "HH AW1", 65, 1),
        ("I", "AY1", 65, 1),
        ("won-", "W AH1 N", 64, 1),
        ("der", "D ER0", 64, 1),
        ("what", "W AH1 T", 62, 1),
        ("you", "Y UW1", 62, 1),
        ("are", "AA1 R", 60, 2),
    ],
]

#: Only voiced sounds, so a phrase should be voiced from end to end.
VOICED: list[Line] = [
    [
        ("oh", "OW1", 57, 1),
        ("my", "M AY1", 60, 1),
        ("lov-", "L AH1", 64, 1),
        ("ing", "V IH0 NG", 62, 1),
        ("one", "W AH1 N", 60, 2),
    ],
    [
        ("all", "AO1 L", 59, 1),
        ("a-", "AH0", 62, 0.5),
        ("lone", "L OW1 N", 67, 1.5),
        ("in", "IH0 N", 65, 1),
        ("the", "DH AH0", 64, 1),
        ("rain", "R EY1 N", 62, 2),
    ],
]

#: About ten seconds with leaps, steps, short and long notes, for the benchmark.
TEN_SECONDS: list[Line] = [
    [
        ("a-", "AH0", 55, 0.5),
        ("maz-", "M EY1 Z", 60, 1),
        ("ing", "IH0 NG", 62, 0.5),
        ("grace", "G R EY1 S", 64, 2),
        ("how", "HH AW1", 64, 0.5),
        ("sweet", "S W IY1 T", 62, 0.5),
        ("the", "DH AH0", 60, 0.5),
        ("sound", "S AW1 N D", 64, 2),
    ],
    [
        ("that", "DH AE1 T", 64, 0.5),
        ("saved", "S EY1 V D", 67, 1),
        ("a", "AH0", 64, 0.5),
        ("wretch", "R EH1 CH", 62, 2),
        ("like", "L AY1 K", 60, 0.5),
        ("me", "M IY1", 57, 2.5),
    ],
    [
        ("I", "AY1", 55, 0.5),
        ("once", "W AH1 N S", 60, 1),
        ("was", "W AA1 Z", 62, 0.5),
        ("lost", "L AO1 S T", 64, 2),
    ],
]


def song(
    lines: list[Line], *, beat_s: float = 0.4, rest_beats: float = 1.0, start_s: float = 0.3
) -> tuple[Melody, list[Syllable]]:
    """The melody (with phrases) and syllables of ``lines``."""
    notes: list[Note] = []
    phrases: list[Phrase] = []
    syllables: list[Syllable] = []
    time_s = start_s
    for line in lines:
        first = len(notes)
        for text, arpabet, midi_pitch, beats in line:
            syllables.append(
                Syllable(
                    text=text,
                    note_index=len(notes),
                    phonemes=tuple(arpabet.split()),
                    starts_word=not (syllables and syllables[-1].text.endswith("-")),
                )
            )
            notes.append(Note(onset_s=time_s, duration_s=beats * beat_s, midi_pitch=midi_pitch))
            time_s += beats * beat_s
        phrases.append(
            Phrase(first, len(notes) - first, notes[first].onset_s, time_s - notes[first].onset_s)
        )
        time_s += rest_beats * beat_s
    return Melody(notes=notes, phrases=phrases, duration_s=time_s, engine="test"), syllables
