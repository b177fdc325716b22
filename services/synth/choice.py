"""``voice=auto``: the voice whose measured range holds the melody as it was hummed.

A hum around A4 is a high voice's melody and a hum around A2 a low one's; singing either
in a voice that must move it by an octave changes the song. So the choice is made on the
pitches as hummed, before any range fitting (a request's ``transpose_semitones`` is
added after the fit, as for a named voice: it moves the song within the chosen voice):

1. the voice that holds the most notes inside its measured range without transposing;
2. on a tie, the voice whose range centre is nearest the melody's median pitch (the
   most comfortable one: a melody inside two ranges is nearer the middle of one);
3. on a tie again, the first in :data:`AUTO_VOICES` order.

Only genuine voices are chosen: a man's (joe) and a woman's (slt). ``joe-high`` is joe's
voice with its formants raised, not a higher voice (its measured range is joe's), and
``festival`` is robotic; both stay available by name. Where slt cannot sing (Festival or
its package missing), auto is joe.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from services.synth.types import RangePolicy
from services.synth.voices import (
    LOCAL_VOICES,
    VoiceInfo,
    VoiceUnavailableError,
)

#: The voices ``auto`` chooses among, those of them that can sing here.
AUTO_VOICES = ("joe", "slt")


_NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def note_name(midi_pitch: int) -> str:
    """Scientific pitch notation of a MIDI note: 69 -> "A4", 60 -> "C4"."""
    return f"{_NOTE_NAMES[midi_pitch % 12]}{midi_pitch // 12 - 1}"


@dataclass(frozen=True)
class VoiceChoice:
    """The chosen voice and why, for a person to read."""

    voice_id: str
    reason: str


def candidate_voices() -> list[VoiceInfo]:
    """The voices ``auto`` chooses among on this machine (see :data:`AUTO_VOICES`)."""
    voices = [LOCAL_VOICES[voice_id] for voice_id in AUTO_VOICES]
    return [voice.info for voice in voices if voice.unavailable_reason() is None]


def notes_in_range(pitches: Sequence[float], info: VoiceInfo) -> int:
    """How many of ``pitches`` (MIDI) lie inside the voice's range, ends included."""
    return sum(1 for pitch in pitches if info.lowest_midi <= pitch <= info.highest_midi)


def choose_voice(pitches: Sequence[float], candidates: Sequence[VoiceInfo]) -> VoiceChoice:
    """The candidate that sings ``pitches`` (MIDI numbers, as they will be asked for) best
    without transposing; see the module's notes for the rule.

    Raises VoiceUnavailableError when there is no candidate.
    """
    if not candidates:
        raise VoiceUnavailableError("no local voice can sing on this server")
    if not pitches:
        # Nothing to fit; the score refuses an empty melody with its own message.
        return VoiceChoice(candidates[0].voice_id, "voice auto: no notes to choose by")
    median = statistics.median(pitches)

    def rank(indexed: tuple[int, VoiceInfo]) -> tuple[int, float, int]:
        order, info = indexed
        centre = (info.lowest_midi + info.highest_midi) / 2
        return -notes_in_range(pitches, info), abs(median - centre), order

    _, chosen = min(enumerate(candidates), key=rank)
    held = notes_in_range(pitches, chosen)
    others = ", ".join(
        f"{info.voice_id} {notes_in_range(pitches, info)}"
        for info in candidates
        if info.voice_id != chosen.voice_id
    )
    reason = (
        f"voice auto: {chosen.voice_id} holds {held} of {len(pitches)} notes as hummed "
        f"(median {note_name(round(median))}) in its range "
        f"{note_name(chosen.lowest_midi)}-{note_name(chosen.highest_midi)}"
    )
    if others:
        reason += f" (other voices: {others})"
    return VoiceChoice(chosen.voice_id, reason)


def transposition_reason(
    pitches: Sequence[float],
    info: VoiceInfo,
    *,
    applied_semitones: int,
    requested_semitones: int,
    range_policy: RangePolicy,
) -> str:
    """Why the melody was moved by ``applied_semitones`` (range fit plus the request's
    own ``requested_semitones``) for voice ``info``, for a person to read."""
    fit = applied_semitones - requested_semitones
    moved = [pitch + applied_semitones for pitch in pitches]
    held = f"{notes_in_range(moved, info)} of {len(pitches)} notes in range"
    parts = []
    if range_policy is RangePolicy.KEEP:
        parts.append("pitches kept as given")
    elif fit == 0:
        parts.append("not transposed to fit")
    elif range_policy is RangePolicy.FIT_OCTAVES:
        octaves = abs(fit) // 12
        direction = "up" if fit > 0 else "down"
        parts.append(f"moved {direction} {octaves} octave{'s' if octaves > 1 else ''} to fit")
    else:
        parts.append(f"moved {fit:+d} semitones to centre the melody in the range")
    if requested_semitones:
        parts.append(f"then {requested_semitones:+d} semitones as asked")
    return f"{', '.join(parts)} ({held})"
