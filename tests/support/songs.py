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

#: Fixed lines of everyday words for the recogniser (word error rate in ``make bench``,
#: and the range sweep of ``python -m bench.voice_ranges``, which sings them all on one
#: pitch). Written around C4..G4; the synth moves them into each voice's range.
SUNG_LINES: list[Line] = [
    [
        ("the", "DH AH0", 60, 0.5),
        ("sun", "S AH1 N", 62, 1),
        ("is", "IH1 Z", 64, 0.5),
        ("shin-", "SH AY1", 65, 1),
        ("ing", "N IH0 NG", 64, 0.5),
        ("on", "AA1 N", 62, 0.5),
        ("the", "DH AH0", 60, 0.5),
        ("wa-", "W AO1", 62, 1),
        ("ter", "T ER0", 60, 2),
    ],
    [
        ("we", "W IY1", 64, 0.5),
        ("will", "W IH1 L", 65, 0.5),
        ("meet", "M IY1 T", 67, 1),
        ("a-", "AH0", 65, 0.5),
        ("gain", "G EH1 N", 64, 1),
        ("to-", "T AH0", 62, 0.5),
        ("mor-", "M AA1", 64, 1),
        ("row", "R OW2", 60, 2),
    ],
    [
        ("hold", "HH OW1 L D", 60, 1),
        ("my", "M AY1", 64, 0.5),
        ("hand", "HH AE1 N D", 67, 1),
        ("and", "AH0 N D", 65, 0.5),
        ("sing", "S IH1 NG", 64, 1),
        ("with", "W IH1 DH", 62, 0.5),
        ("me", "M IY1", 60, 2),
    ],
]


def line_words(lines: list[Line]) -> list[str]:
    """The words of ``lines`` in order, lower case ("the", "sun", ...)."""
    words: list[str] = []
    joining = False
    for line in lines:
        for text, _, _, _ in line:
            piece = text.rstrip("-").lower()
            if joining:
                words[-1] += piece
            else:
                words.append(piece)
            joining = text.endswith("-")
    return words


def on_one_pitch(lines: list[Line], midi_pitch: int) -> list[Line]:
    """``lines`` with every note moved to ``midi_pitch`` (rhythm and words kept)."""
    return [
        [(text, arpabet, midi_pitch, beats) for text, arpabet, _, beats in line] for line in lines
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
