"""A sung take for the score exports, with every case a score has to get right.

"Don’t touch Zoë’s crème brûlée", in A minor with no tempo found (so 120 BPM: a sixteenth
is 0.125 s, a bar 2 s). Curly apostrophes and accents; "crè" is a melisma on two notes;
a rest after "Zoë’s"; "brû" is sung on a note too short for the grid; "lée" crosses the
bar line at 4 s; the last note (G#, outside the key) has no words.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from services.common.music import KeyEstimate, Melody, Note, Syllable

SIXTEENTH_S = 0.125  # at 120 BPM
WORDS = "Don’t touch Zoë’s crème brûlée"
NOTES = [
    Note(onset_s=0.26, duration_s=0.23, midi_pitch=69),  # Don’t
    Note(onset_s=0.50, duration_s=0.24, midi_pitch=72),  # touch
    Note(onset_s=0.74, duration_s=0.27, midi_pitch=71),  # Zoë’s, then a rest
    Note(onset_s=1.51, duration_s=0.24, midi_pitch=76),  # crè (melisma...
    Note(onset_s=1.76, duration_s=0.22, midi_pitch=74),  # ...held on)
    Note(onset_s=2.00, duration_s=0.25, midi_pitch=72),  # me
    Note(onset_s=2.26, duration_s=0.02, midi_pitch=71),  # brû: rounds to no length
    Note(onset_s=3.49, duration_s=1.02, midi_pitch=69),  # lée: 3.5-4.5 s, across the bar line
    Note(onset_s=4.75, duration_s=0.40, midi_pitch=68),  # hummed, no words
]
SYLLABLES = [
    Syllable("Don’t", 0),
    Syllable("touch", 1),
    Syllable("Zoë’s", 2),
    Syllable("crè", 3, note_count=2),
    Syllable("me", 5, starts_word=False),
    Syllable("brû", 6),
    Syllable("lée", 7, starts_word=False),
]
SYLLABIC = ["single", "single", "single", "begin", "end", "begin", "end"]
# Each note's onset and end on the sixteenth grid (from time 0).
GRID_16 = [(2, 4), (4, 6), (6, 8), (12, 14), (14, 16), (16, 18), (18, 19), (28, 36), (38, 41)]
MELODY = Melody(
    notes=NOTES,
    phrases=[],
    duration_s=5.5,
    engine="test",
    tempo_bpm=0.0,
    key=KeyEstimate(tonic="A", mode="minor", confidence=0.8),
)


def long_melody(note_count: int = 300, seed: int = 3) -> tuple[Melody, list[Syllable]]:
    """A random walk of ``note_count`` notes at 97.4 BPM in F major, with rests, two-note
    melismas and two-syllable words; no note is shorter than a sixteenth (0.154 s)."""
    rng = np.random.default_rng(seed)
    notes: list[Note] = []
    onset_s, pitch = 0.3, 65
    for _ in range(note_count):
        duration_s = float(rng.choice([0.2, 0.3, 0.45, 0.6, 0.9, 1.4]))
        pitch = int(np.clip(pitch + rng.integers(-3, 4), 55, 79))
        notes.append(Note(onset_s=onset_s, duration_s=duration_s * 0.9, midi_pitch=pitch))
        onset_s += duration_s + (0.6 if rng.random() < 0.1 else 0.0)
    syllables: list[Syllable] = []
    index = 0
    while index < note_count:
        span = 2 if rng.random() < 0.15 and index + 1 < note_count else 1
        starts_word = not syllables or syllables[-1].starts_word is False or rng.random() < 0.6
        syllables.append(Syllable(f"la{index}", index, note_count=span, starts_word=starts_word))
        index += span
    melody = Melody(
        notes=notes,
        phrases=[],
        duration_s=onset_s,
        engine="test",
        tempo_bpm=97.4,
        key=KeyEstimate(tonic="F", mode="major", confidence=0.7),
    )
    return melody, syllables


def with_key(melody: Melody, tonic: str, mode: str) -> Melody:
    return replace(melody, key=KeyEstimate(tonic=tonic, mode=mode, confidence=0.5))
