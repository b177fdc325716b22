"""A melody and its words as an OpenUtau project (``.ustx``): one track, one voice part.

The format is OpenUtau's YAML serialisation of its project classes (stakira/OpenUtau,
MIT: ``OpenUtau.Core/Ustx/UProject.cs``, ``UTrack.cs``, ``UPart.cs``, ``UNote.cs``, written
by ``OpenUtau.Core/Format/USTx.cs`` with snake_case names). Positions and durations are in
ticks of 480 per quarter note. What OpenUtau needs to open a file:

- a note's ``pitch`` must hold at least one point (``UNote.Validate`` writes the first
  point's height) and ``vibrato`` must be present; we write OpenUtau's own defaults
  (``NotePresets``: portamento from -40 to +40 ms, shape ``io``; vibrato length 0, period
  175 ms, depth 25 cents, fade in/out 10 %);
- a held syllable is the lyric ``+`` on the notes that continue it, and only extends the
  previous note when it starts exactly where that note ends (``UVoicePart.Validate``), so
  the notes of a melisma are made contiguous;
- ``expressions`` may be empty: ``Ustx.Load`` registers OpenUtau's default expressions.

Notes are on the same sixteenth grid as the MusicXML export (120 ticks), so both agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from services.common.music import Melody, Syllable
from services.common.scores.layout import (
    BEAT_UNIT,
    BEATS_PER_BAR,
    SIXTEENTHS_PER_QUARTER,
    bars_end_16,
    lyrics_by_note,
    major_tonic_pitch_class,
    quantise_to_sixteenths,
    score_tempo_bpm,
)

# RFC 9512 (2024) registered application/yaml; text/yaml and application/x-yaml are the
# unregistered names it replaces. A browser saves it rather than showing it as text.
CONTENT_TYPE = "application/yaml"
FILE_EXTENSION = "ustx"
USTX_VERSION = "0.9"  # OpenUtau.Core/Format/USTx.cs kUstxVersion
TICKS_PER_QUARTER = 480  # UProject.resolution
TICKS_PER_SIXTEENTH = TICKS_PER_QUARTER // SIXTEENTHS_PER_QUARTER
HOLD_LYRIC = "+"  # continues the previous note's syllable (UVoicePart.Validate)
DEFAULT_LYRIC = "a"  # OpenUtau's lyric for a new note (NotePresets.DefaultLyric)
DEFAULT_PHONEMIZER = "OpenUtau.Core.DefaultPhonemizer"
DEFAULT_PROJECT_NAME = "New Project"
TRACK_NAME = "Voice"
PART_NAME = "Melody"


def melody_to_ustx(melody: Melody, syllables: Sequence[Syllable] = (), title: str = "") -> bytes:
    """Writes the melody as an OpenUtau project (YAML, UTF-8).

    The project has the melody's tempo (120 BPM when it is 0), 4/4 time, the key's major
    tonic as OpenUtau's ``key`` (the "1=" of numbered notation: a minor key gets its
    relative major; C when unknown), and one voice part with a note per melody note, on
    the sixteenth grid. A note sings its syllable's text; the later notes of a melisma sing
    ``+``; notes without words sing OpenUtau's default ``a``.

    Args:
        melody: ``notes`` in time order (``onset_s``, ``duration_s``, ``midi_pitch``),
            ``tempo_bpm`` and ``key``.
        syllables: The words, each on ``note_count`` notes from ``note_index``.
        title: The project and part name ("" for OpenUtau's "New Project").

    Returns:
        The ``.ustx`` file's bytes.

    Raises:
        InvalidInputError: A syllable points outside the melody or shares a note.
    """
    tempo_bpm = score_tempo_bpm(melody.tempo_bpm)
    grid = quantise_to_sixteenths(melody.notes, tempo_bpm)
    lyrics = lyrics_by_note(syllables, len(grid))
    ends_16 = [grid_note.end_16 for grid_note in grid]
    for index, lyric in enumerate(lyrics):
        if lyric is not None and lyric.continues_melisma:
            ends_16[index - 1] = grid[index].start_16  # "+" extends only a touching note
    notes = []
    for grid_note, end_16, lyric in zip(grid, ends_16, lyrics, strict=True):
        if lyric is None:
            text = DEFAULT_LYRIC
        else:
            text = HOLD_LYRIC if lyric.continues_melisma else _note_lyric(lyric.text)
        notes.append(
            _note(
                position_ticks=grid_note.start_16 * TICKS_PER_SIXTEENTH,
                duration_ticks=(end_16 - grid_note.start_16) * TICKS_PER_SIXTEENTH,
                tone=grid_note.midi_pitch,
                lyric=text,
            )
        )
    major_tonic = major_tonic_pitch_class(melody.key)
    project: dict[str, Any] = {
        "name": title or DEFAULT_PROJECT_NAME,
        "comment": "",
        "output_dir": "Vocal",
        "cache_dir": "UCache",
        "ustx_version": USTX_VERSION,
        "resolution": TICKS_PER_QUARTER,
        # Read by OpenUtau before ustx 0.6; later versions read tempos and time_signatures.
        "bpm": tempo_bpm,
        "beat_per_bar": BEATS_PER_BAR,
        "beat_unit": BEAT_UNIT,
        "expressions": {},
        # The expression lanes a new OpenUtau project shows (UProject.expSelectors).
        "exp_selectors": ["dyn", "pitd", "clr", "eng", "vel", "vol", "atk", "dec", "gen", "bre"],
        "exp_primary": 0,
        "exp_secondary": 1,
        "key": major_tonic if major_tonic is not None else 0,
        "time_signatures": [
            {"bar_position": 0, "beat_per_bar": BEATS_PER_BAR, "beat_unit": BEAT_UNIT}
        ],
        "tempos": [{"position": 0, "bpm": tempo_bpm}],
        "tracks": [
            {
                "phonemizer": DEFAULT_PHONEMIZER,
                "renderer_settings": {},
                "track_name": TRACK_NAME,
                "track_color": "Blue",
                "mute": False,
                "solo": False,
                "volume": 0,
                "pan": 0,
                "track_expressions": [],
                "voice_color_names": [""],
            }
        ],
        "voice_parts": [
            {
                "duration": bars_end_16(max(ends_16, default=0)) * TICKS_PER_SIXTEENTH,
                "name": title or PART_NAME,
                "comment": "",
                "track_no": 0,
                "position": 0,
                "notes": notes,
                "curves": [],
            }
        ],
        "wave_parts": [],
    }
    text = yaml.dump(
        project, Dumper=_UstxDumper, sort_keys=False, allow_unicode=True, width=1_000_000
    )
    return text.encode("utf-8")


def _note_lyric(text: str) -> str:
    """A syllable's text as a note's lyric: without the hyphen that joins it to the next
    syllable of a hyphenated word ("twen", "ty-", "four" of "twenty-four"), which
    OpenUtau's phonemizers would read as part of the syllable."""
    return text.rstrip("-") or text


def _note(position_ticks: int, duration_ticks: int, tone: int, lyric: str) -> dict[str, Any]:
    return {
        "position": position_ticks,
        "duration": duration_ticks,
        "tone": tone,
        "lyric": lyric,
        "pitch": {
            "data": [
                _FlowMapping(x=-40, y=0, shape="io"),
                _FlowMapping(x=40, y=0, shape="io"),
            ],
            "snap_first": True,
        },
        "vibrato": _FlowMapping(
            length=0, period=175, depth=25, **{"in": 10, "out": 10}, shift=0, drift=0, vol_link=0
        ),
        "tuning": 0,
        "phoneme_expressions": [],
        "phoneme_overrides": [],
    }


class _FlowMapping(dict[str, Any]):
    """A mapping written on one line, as OpenUtau writes pitch points and vibratos."""


# libyaml's emitter when PyYAML was built with it (the PyPI wheels are): ~10x faster.
_SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _UstxDumper(_SafeDumper):  # type: ignore[valid-type,misc]
    pass


def _represent_flow_mapping(dumper: yaml.SafeDumper, mapping: _FlowMapping) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", mapping.items(), flow_style=True)


_UstxDumper.add_representer(_FlowMapping, _represent_flow_mapping)
