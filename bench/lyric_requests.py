"""The fixed requests the lyric-quality bench writes for: themes × moods × genres on
melodies with and without repeated phrases.

The same requests were written by the lyricist before it was rebuilt; those lines are
kept in ``bench/data/lyrics_before.json`` so that old and new can be compared on equal
terms (README examples, blind pairwise preference).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.music import Melody, Note, Phrase
from services.lyrics.domain import LyricsRequest

#: Beats per minute of every bench melody.
TEMPO_BPM = 96.0
#: Rest between phrases, in beats.
REST_BEATS = 1.0

#: One phrase: (MIDI pitch, length in beats) per note.
Motif = tuple[tuple[int, float], ...]


def _motif(pitches: str, beats: str) -> Motif:
    return tuple(
        (int(pitch), float(beat))
        for pitch, beat in zip(pitches.split(), beats.split(), strict=True)
    )


_A7 = _motif("60 62 64 65 64 62 60", "1 1 1 1 1 1 2")
_B7 = _motif("64 65 67 69 67 65 64", ".5 .5 1 1 1 1 3")
_C7 = _motif("67 67 65 64 62 64 65", "1 .5 .5 1 1 1 2")
_D7 = _motif("65 64 62 60 62 59 60", "1 1 1 .5 .5 1 3")
_HOOK6 = _motif("67 69 67 64 62 60", "1 1 1 1 1 3")
_VERSE8 = _motif("60 60 62 64 64 62 60 62", ".5 .5 1 .5 .5 1 1 2")
_VERSE8B = _motif("64 64 65 67 67 65 64 62", ".5 .5 1 .5 .5 1 1 2")
_BRIDGE9 = _motif("69 67 65 64 65 67 69 71 72", ".5 .5 .5 .5 1 1 1 1 3")
_TAIL8 = _motif("72 71 69 67 65 64 62 60", "1 .5 .5 1 1 1 1 4")

#: Song shapes by name: the phrases in order. Repeated motifs are repeated phrases.
SHAPES: dict[str, tuple[Motif, ...]] = {
    "four sevens": (_A7, _B7, _C7, _D7),
    "verse and hook": (_VERSE8, _HOOK6, _VERSE8B, _HOOK6),
    "AABA": (_A7, _A7, _BRIDGE9, _A7),
    "thirty-two notes": (_VERSE8, _VERSE8B, _VERSE8, _TAIL8),
}


def melody_for(shape: str) -> Melody:
    """The bench melody of a shape, at ``TEMPO_BPM``, phrases split by one-beat rests."""
    beat_s = 60.0 / TEMPO_BPM
    notes: list[Note] = []
    phrases: list[Phrase] = []
    time_s = 0.0
    for motif in SHAPES[shape]:
        first, onset_s = len(notes), time_s
        for pitch, beats in motif:
            # Sung notes are a little shorter than their beats (breath, consonants).
            notes.append(Note(onset_s=time_s, duration_s=0.9 * beats * beat_s, midi_pitch=pitch))
            time_s += beats * beat_s
        phrases.append(Phrase(first, len(motif), onset_s, time_s - onset_s))
        time_s += REST_BEATS * beat_s
    return Melody(
        notes=notes, phrases=phrases, duration_s=time_s, engine="bench", tempo_bpm=TEMPO_BPM
    )


@dataclass(frozen=True)
class BenchRequest:
    """One request of the set: what a user would type, on one melody shape."""

    theme: str
    mood: str
    genre: str
    shape: str
    rhyme_scheme: str
    seed: int

    def request(self) -> LyricsRequest:
        return LyricsRequest(
            melody=melody_for(self.shape),
            theme=self.theme,
            mood=self.mood,
            genre=self.genre,
            rhyme_scheme=self.rhyme_scheme,
            provider="local",
            seed=self.seed,
        )

    def plain_request(self) -> LyricsRequest:
        """The issue's own measure: 4 lines of 7 syllables, AABB, no melody."""
        return LyricsRequest(
            syllables_per_line=(7, 7, 7, 7),
            theme=self.theme,
            mood=self.mood,
            genre=self.genre,
            rhyme_scheme="AABB",
            provider="local",
            seed=self.seed,
        )


_THEMES: tuple[tuple[str, str, str], ...] = (
    ("the last train home", "melancholy", "ballad"),
    ("the last train home", "cheerful", "pop"),
    ("summer love by the sea", "happy", "pop"),
    ("city lights at night", "energetic", "edm"),
    ("a long road home", "nostalgic", "country"),
    ("coffee on a rainy morning", "calm", "jazz"),
    ("my grandmother's kitchen", "tender", "folk"),
    ("robots learning to dance", "upbeat", "electronic"),
    ("losing a friend", "sad", "ballad"),
    ("first snow of winter", "peaceful", "lullaby"),
    ("Paris in the spring", "romantic", "chanson"),
    ("the ocean at dawn", "hopeful", "ambient"),
    ("a broken phone and a bad day", "angry", "punk"),
    ("campfire with old friends", "nostalgic", "folk"),
    ("leaving my hometown", "wistful", "indie"),
    ("dancing in the kitchen", "joyful", "pop"),
    ("a storm over the mountains", "dark", "metal"),
    ("waiting for your letter", "longing", "soul"),
    ("stars over the desert", "mysterious", "ambient"),
    ("the last day of school", "cheerful", "pop"),
    ("a lighthouse keeper", "lonely", "folk"),
    ("Sunday morning pancakes", "happy", "acoustic"),
    ("heartbreak on the dance floor", "melancholy", "disco"),
    ("a garden after rain", "calm", "folk"),
)
_SCHEMES = ("AABB", "ABAB", "AABB", "XAXA")


def requests_of(
    themes: tuple[tuple[str, str, str], ...], first_seed: int = 0
) -> tuple[BenchRequest, ...]:
    """One request per (theme, mood, genre): the four shapes and schemes in turn, seeds
    from ``first_seed`` on."""
    return tuple(
        BenchRequest(
            theme,
            mood,
            genre,
            tuple(SHAPES)[index % len(SHAPES)],
            _SCHEMES[index % len(_SCHEMES)],
            seed=first_seed + index,
        )
        for index, (theme, mood, genre) in enumerate(themes)
    )


#: The fixed set: 24 requests, every theme on one of the four shapes in turn.
REQUESTS = requests_of(_THEMES)

#: A second set, written once and never tuned on: themes the lyricist's word lists were
#: not chosen for, to check that the variety figures hold beyond the fixed set.
_OTHER_THEMES: tuple[tuple[str, str, str], ...] = (
    ("fishing with my father", "nostalgic", "country"),
    ("a rooftop party in July", "happy", "pop"),
    ("the hospital waiting room", "anxious", "indie"),
    ("moving to a new city", "hopeful", "rock"),
    ("an old piano in the attic", "wistful", "folk"),
    ("riding bikes after school", "carefree", "pop"),
    ("a wedding by the lake", "romantic", "ballad"),
    ("midnight at the bus station", "lonely", "blues"),
    ("autumn leaves in the park", "calm", "acoustic"),
    ("a soldier coming home", "tender", "country"),
    ("neon signs and a fast car", "energetic", "rock"),
    ("baking bread with my sister", "cheerful", "folk"),
    ("a thunderstorm in the city", "dark", "rock"),
    ("the first day of spring", "joyful", "pop"),
    ("a letter I never sent", "sad", "ballad"),
    ("sailing to an island", "adventurous", "reggae"),
    ("a quiet library", "peaceful", "jazz"),
    ("my dog waiting at the door", "happy", "country"),
    ("dreams of flying", "mysterious", "ambient"),
    ("the end of a long winter", "hopeful", "indie"),
)

#: The second set: 20 requests, on the four shapes and schemes in turn, seeds 100-119.
OTHER_REQUESTS = requests_of(_OTHER_THEMES, first_seed=100)
