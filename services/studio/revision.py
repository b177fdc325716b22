"""What a revision of a take must redo, decided on plain musical types (no gRPC here).

A revision starts from a stored take and changes any of: the notes (moved, re-pitched,
split, merged, added, deleted), the words (as syllables on notes, or whole lines as
text) and how it is sung. Only what must run again runs: the recording is never
transcribed again, a line whose words and notes are unchanged keeps its syllables, and a
line gets new syllables only where its words were replaced or its notes changed in
number. Which phrases the synth sings again follows from that (it caches phrases it has
sung; see ``services.synth.phrase_cache``).

Messages count notes and lines from 1, as people read them ("note 1" is the first
note); what a caller sends counts from 0 (``line_texts`` keys, ``note_index``), and a
message about such a value quotes it with its field (README, Editable takes).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from services.common.errors import InvalidInputError
from services.common.music import (
    LyricLine,
    Lyrics,
    Melody,
    Note,
    Phrase,
    Syllable,
    melody_number_problem,
    stated_tempo_bpm,
)
from services.common.phrases import MIN_REST_S, group_phrases, phrases_of_runs

#: The engine name of a melody that a person edited.
EDITED_ENGINE = "edited"
#: The provider named in lyrics whose words the user wrote or edited.
USER_PROVIDER = "user"
#: Onsets and offsets closer than this are the same instant (JSON round trips of floats).
TIME_TOLERANCE_S = 1e-6
MIDI_PITCH_RANGE = (0, 127)


@dataclass(frozen=True)
class WordsPlan:
    """The lines of a revised take, by phrase index of the new melody.

    kept: lines whose syllables stand as they are (note indices already on the new melody).
    to_fit: text to fit to a phrase's notes, a syllable per note, melismas where the text
        has fewer syllables than the phrase has notes.
    refit_all: when not empty, the whole text is fitted over the whole new melody instead
        (the number of phrases changed, so lines no longer map one to one onto phrases).
    user_edited: whether the user wrote any of the words (the take's lyrics then count
        as the user's).
    rewritable: phrases in ``to_fit`` whose words the lyricist wrote (not the user): when
        their notes are now too few for the words, the lyricist writes the line again
        instead of the revision being refused.
    refit_rewritable: the same for ``refit_all``: none of its words are the user's.
    added: phrases of notes added after a rest, with no line yet: the lyricist writes one
        for each (only when none of the take's words are the user's).
    labels: each phrase's rhyme label, by phrase index of the new melody.
    """

    kept: dict[int, LyricLine] = field(default_factory=dict)
    to_fit: dict[int, str] = field(default_factory=dict)
    refit_all: str = ""
    user_edited: bool = False
    rewritable: frozenset[int] = frozenset()
    refit_rewritable: bool = False
    added: frozenset[int] = frozenset()
    labels: Mapping[int, str] = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        return not self.to_fit and not self.refit_all and not self.added


def checked_melody(
    melody: Melody, *, max_duration_s: float, edited_from: Melody | None = None
) -> Melody:
    """An edited melody, checked, with phrases and ``engine`` set to "edited".

    When the given phrases do not cover every note once, in order, they come from
    ``edited_from`` (the melody that was edited: each note keeps the phrase of the note it
    was, see :func:`phrases_after_edit`), else from the rests between the notes.

    Raises:
        InvalidInputError: no notes; a number no melody can have (see
            ``services.common.music.melody_number_problem``); a note out of time order
            or overlapping the one before it; a MIDI pitch outside 0..127; a duration
            of zero or less; a note ending after ``max_duration_s`` seconds. The
            message names the note (counted from 1) and what is wrong with it.
    """
    notes = melody.notes
    if not notes:
        raise InvalidInputError("the melody has no notes; at least one is needed")
    low, high = MIDI_PITCH_RANGE
    problem = melody_number_problem(melody)
    if problem is not None:
        raise InvalidInputError(problem)
    for index, note in enumerate(notes):
        number = index + 1
        if not low <= note.midi_pitch <= high:
            raise InvalidInputError(
                f"note {number} has MIDI pitch {note.midi_pitch}; pitches go from {low} to {high}"
            )
        if not note.duration_s > 0:
            raise InvalidInputError(
                f"note {number} lasts {note.duration_s:g} s; a note must last more than 0 s"
            )
        if note.onset_s < 0:
            raise InvalidInputError(f"note {number} starts before the take ({note.onset_s:g} s)")
        if note.offset_s > max_duration_s:
            raise InvalidInputError(
                f"note {number} ends at {note.offset_s:.6g} s; a take may last at most "
                f"{max_duration_s:g} s"
            )
        if index == 0:
            continue
        previous = notes[index - 1]
        if note.onset_s < previous.onset_s:
            raise InvalidInputError(
                f"note {number} starts at {note.onset_s:.3f} s, before note {number - 1} "
                f"({previous.onset_s:.3f} s): notes must be in time order"
            )
        if note.onset_s < previous.offset_s - TIME_TOLERANCE_S:
            raise InvalidInputError(
                f"note {number} starts at {note.onset_s:.3f} s, while note {number - 1} "
                f"still sounds (until {previous.offset_s:.3f} s): notes must not overlap"
            )
    if _phrases_cover(melody.phrases, len(notes)):
        phrases = list(melody.phrases)
    elif edited_from is not None and edited_from.phrases:
        phrases = phrases_after_edit(edited_from, notes)
    else:
        phrases = group_phrases(notes)
    return replace(
        melody,
        phrases=phrases,
        duration_s=max(melody.duration_s, notes[-1].offset_s),
        engine=EDITED_ENGINE,
    )


def phrases_after_edit(previous: Melody, notes: Sequence[Note]) -> list[Phrase]:
    """The phrases of edited ``notes`` (time-ordered) that keep ``previous``'s: a note
    that starts where a note of ``previous`` started (kept, moved in pitch, merged into,
    shortened) stays in that note's phrase; any other note (added, or the second half of
    a split one, or one moved in time) joins the phrase of the note before it, unless a
    rest of at least ``MIN_REST_S`` comes first: then that of the kept note right after
    it (a phrase's first note, moved), else a phrase of its own, but for a lone note
    between rests, which joins the nearer phrase. Deleting a note thus never splits its
    phrase at the gap it leaves, and adding one never adds a phrase whose words would
    have to come from the other lines.
    """
    phrase_at: dict[float, int] = {}
    for phrase_index, phrase in enumerate(previous.phrases):
        for note in previous.phrase_notes(phrase):
            phrase_at[round(note.onset_s, 3)] = phrase_index
    # A group id per note (consecutive equal ids form a phrase): the kept notes' first.
    groups: list[int | None] = [phrase_at.get(round(note.onset_s, 3)) for note in notes]
    for index, note in enumerate(notes):
        if groups[index] is not None:
            continue
        if index and note.onset_s - notes[index - 1].offset_s < MIN_REST_S:
            groups[index] = groups[index - 1]
        elif (
            index + 1 < len(notes)
            and groups[index + 1] is not None
            and notes[index + 1].onset_s - note.offset_s < MIN_REST_S
        ):
            groups[index] = groups[index + 1]  # a phrase's first note, moved
        else:
            groups[index] = -1 - index  # a phrase of its own
    for index, note in enumerate(notes):
        alone = (index == 0 or groups[index - 1] != groups[index]) and (
            index + 1 == len(notes) or groups[index + 1] != groups[index]
        )
        if not alone or (groups[index] or 0) >= 0 or len(notes) == 1:
            continue
        # One note added alone in a rest joins the nearer phrase (a pickup or a tail),
        # so that every line keeps its phrase; only a run of new notes is a new phrase.
        after_previous_s = note.onset_s - notes[index - 1].offset_s if index else math.inf
        before_next_s = (
            notes[index + 1].onset_s - note.offset_s if index + 1 < len(notes) else math.inf
        )
        groups[index] = (
            groups[index - 1] if after_previous_s <= before_next_s else groups[index + 1]
        )
    starts = [
        index for index in range(len(notes)) if index == 0 or groups[index] != groups[index - 1]
    ]
    return phrases_of_runs(notes, list(itertools.pairwise([*starts, len(notes)])))


def checked_lyrics(lyrics: Lyrics, melody: Melody) -> Lyrics:
    """Words given as syllables on notes, checked against the melody they are sung on,
    each line renumbered to the phrase its first syllable is in, its text the words its
    syllables spell (the given text where it spells them).

    Raises:
        InvalidInputError: a syllable points at a note the melody does not have, or the
            syllables do not cover every note exactly once in order (a note with no
            syllable, or two syllables on one note).
    """
    syllables = lyrics.syllables
    note_count = len(melody.notes)
    expected = 0
    for syllable in syllables:
        last = syllable.note_index + syllable.note_count - 1
        if syllable.note_index < 0 or last >= note_count:
            raise InvalidInputError(
                f"the syllable {syllable.text!r} has note_index {syllable.note_index}"
                + (f" and note_count {syllable.note_count}" if syllable.note_count > 1 else "")
                + f", but the melody has {note_count} note{'' if note_count == 1 else 's'} "
                f"(note_index 0..{note_count - 1})"
            )
        if syllable.note_index != expected:
            what = "has no syllable" if syllable.note_index > expected else "has two syllables"
            raise InvalidInputError(
                f"note {min(expected, syllable.note_index) + 1} {what}: every note is sung by "
                "exactly one syllable, in order (a syllable on several notes is a melisma: "
                "give it note_count)"
            )
        expected = last + 1
    if expected != note_count:
        unsung = (
            f"note {note_count} has"
            if expected == note_count - 1
            else f"notes {expected + 1}..{note_count} have"
        )
        raise InvalidInputError(
            f"{unsung} no syllable: every note is sung by exactly one syllable, in order"
        )
    phrase_of_note = _phrase_of_note(melody.phrases)
    lines: dict[int, LyricLine] = {}
    for line in lyrics.lines:
        if not line.syllables:
            continue
        phrase_index = phrase_of_note[line.syllables[0].note_index]
        if phrase_index in lines:  # two lines given for one phrase: sung as one line
            before = lines[phrase_index]
            line = replace(
                before,
                text=f"{before.text} {line.text}".strip(),
                syllables=before.syllables + line.syllables,
            )
        lines[phrase_index] = replace(
            line,
            phrase_index=phrase_index,
            text=_text_of(line.text, line.syllables),
            user_written=True,  # syllables the user sent are the user's words
        )
    return replace(lyrics, lines=tuple(lines[index] for index in sorted(lines)))


def _text_of(text: str, syllables: Sequence[Syllable]) -> str:
    """A line's text as given when it spells its syllables' words (its punctuation kept),
    else the words its syllables spell: a syllable edited or dropped changes the line."""
    sung = words_of_syllables(syllables)
    if _letters(text) == _letters(sung):
        return text
    return sung


def _letters(text: str) -> str:
    return "".join(character.lower() for character in text if character.isalnum())


def plan_words(
    old_melody: Melody,
    old_lyrics: Lyrics,
    new_melody: Melody | None,
    *,
    edited_lyrics: Lyrics | None = None,
    line_texts: Mapping[int, str] | None = None,
) -> WordsPlan:
    """Which lines of a revised take keep their syllables and which are fitted again.

    Args:
        old_melody, old_lyrics: the take being revised.
        new_melody: the edited melody (checked, with phrases), or None when the notes
            are kept.
        edited_lyrics: words given as syllables on the (new) melody's notes, already
            checked with :func:`checked_lyrics`; they replace the take's words.
        line_texts: replacement text by line index (0 = the first line of the lyrics).

    Raises:
        InvalidInputError: a line index that the lyrics do not have, or empty text.
    """
    line_texts = dict(line_texts or {})
    base = edited_lyrics or old_lyrics
    for index, text in line_texts.items():
        if not 0 <= index < len(base.lines):
            raise InvalidInputError(
                f'line_texts key "{index}" names no line: the lyrics have '
                f"{len(base.lines)} lines, keys 0..{len(base.lines) - 1} (0 is line 1)"
            )
        if not text.strip():
            raise InvalidInputError(
                f'the new words of line {index + 1} (line_texts key "{index}") are empty'
            )
    user_edited = edited_lyrics is not None or bool(line_texts)

    if edited_lyrics is not None or new_melody is None:
        # The syllables already sit on the notes that will be sung.
        kept = {line.phrase_index: line for line in base.lines}
        to_fit = {}
        if edited_lyrics is not None:
            old_sounds = {
                syllable.note_index: (syllable.text.strip().lower(), syllable.phonemes)
                for syllable in old_lyrics.syllables
            }
            for line in base.lines:
                if _respelled_only(line, old_sounds):
                    # New words over the old ones' sounds would sing the old words: the
                    # line is sung from its words (the text its syllables spell, see
                    # checked_lyrics), checked as any words a user writes.
                    del kept[line.phrase_index]
                    to_fit[line.phrase_index] = line.text.strip()
        for index, text in line_texts.items():
            phrase_index = base.lines[index].phrase_index
            kept.pop(phrase_index, None)
            to_fit[phrase_index] = text.strip()
        return WordsPlan(kept=kept, to_fit=to_fit, user_edited=user_edited)

    # Words the user never wrote may be written again when they no longer fit the notes.
    lyricists = [_lyricists_line(line, old_lyrics) for line in old_lyrics.lines]
    texts = [line_texts.get(index, line.text) for index, line in enumerate(old_lyrics.lines)]
    mapping = _phrase_mapping(old_melody, new_melody)
    added = frozenset(range(len(new_melody.phrases))) - set((mapping or {}).values())
    if (
        mapping is None
        or len(old_lyrics.lines) != len(old_melody.phrases)
        or (added and not (all(lyricists) and not line_texts))
    ):
        return WordsPlan(
            refit_all="\n".join(texts),
            user_edited=user_edited,
            refit_rewritable=all(lyricists) and not line_texts,
        )

    kept = {}
    to_fit = {}
    rewritable = set()
    labels = {}
    for index, line in enumerate(old_lyrics.lines):
        new_index = mapping[line.phrase_index]
        labels[new_index] = line.rhyme_label
        old_phrase = old_melody.phrases[line.phrase_index]
        new_phrase = new_melody.phrases[new_index]
        if index in line_texts or old_phrase.note_count != new_phrase.note_count:
            to_fit[new_index] = texts[index].strip()
            if lyricists[index] and index not in line_texts:
                rewritable.add(new_index)
            continue
        # Same number of notes: each syllable stays on the note at its place in the phrase.
        shift = new_phrase.first_note_index - old_phrase.first_note_index
        kept[new_index] = replace(
            line,
            phrase_index=new_index,
            syllables=tuple(
                replace(syllable, note_index=syllable.note_index + shift)
                for syllable in line.syllables
            ),
        )
    return WordsPlan(
        kept=kept,
        to_fit=to_fit,
        user_edited=user_edited,
        rewritable=frozenset(rewritable),
        added=added,
        labels=labels,
    )


def _phrase_mapping(old: Melody, new: Melody) -> dict[int, int] | None:
    """Old phrase index -> the new phrase that holds its notes; None when phrases were
    split, joined or emptied (their lines no longer map one to one onto phrases).

    With as many phrases as before, each phrase is the one at its place. With more, a
    new phrase holding no note of the old melody (notes added after a rest) maps from
    none: the lines keep their phrases, and the new one needs words of its own.
    """
    if len(new.phrases) == len(old.phrases):
        return {index: index for index in range(len(old.phrases))}
    phrase_of_onset = {
        round(note.onset_s, 3): index
        for index, phrase in enumerate(old.phrases)
        for note in old.phrase_notes(phrase)
    }
    mapping: dict[int, int] = {}
    for new_index, phrase in enumerate(new.phrases):
        sources = {
            phrase_of_onset[onset]
            for note in new.phrase_notes(phrase)
            if (onset := round(note.onset_s, 3)) in phrase_of_onset
        }
        if len(sources) > 1:
            return None  # two phrases joined
        for old_index in sources:
            if old_index in mapping:
                return None  # one phrase split
            mapping[old_index] = new_index
    if len(mapping) != len(old.phrases):
        return None  # a phrase lost every note it had
    in_order = [mapping[index] for index in range(len(old.phrases))]
    return mapping if in_order == sorted(in_order) else None


#: How much faster (or, below 1, slower) a revision may sing a take.
TEMPO_SCALE_RANGE = (0.25, 4.0)


def at_tempo(melody: Melody, tempo_scale: float, *, max_duration_s: float) -> Melody:
    """``melody`` sung ``tempo_scale`` times as fast (2: twice as fast): every time
    divided by it, the tempo multiplied; pitches unchanged, the pitch contour dropped
    (it belongs to the recording's timing).

    Raises:
        InvalidInputError: ``tempo_scale`` outside TEMPO_SCALE_RANGE, or a melody that
            would then last longer than ``max_duration_s`` seconds.
    """
    low, high = TEMPO_SCALE_RANGE
    if not (math.isfinite(tempo_scale) and low <= tempo_scale <= high):
        raise InvalidInputError(
            f"tempo_scale must be within {low:g}..{high:g} (2 = twice as fast), not {tempo_scale:g}"
        )
    duration_s = melody.duration_s / tempo_scale
    if duration_s > max_duration_s:
        raise InvalidInputError(
            f"at tempo_scale {tempo_scale:g} the take would last {duration_s:.1f} s; a take "
            f"may last at most {max_duration_s:g} s"
        )
    return replace(
        melody,
        notes=[
            replace(
                note, onset_s=note.onset_s / tempo_scale, duration_s=note.duration_s / tempo_scale
            )
            for note in melody.notes
        ],
        phrases=[
            replace(
                phrase,
                onset_s=phrase.onset_s / tempo_scale,
                duration_s=phrase.duration_s / tempo_scale,
            )
            for phrase in melody.phrases
        ],
        duration_s=duration_s,
        tempo_bpm=stated_tempo_bpm(melody.tempo_bpm * tempo_scale),
        contour=None,
        engine=EDITED_ENGINE,
    )


def _respelled_only(line: LyricLine, old_sounds: Mapping[int, tuple[str, tuple[str, ...]]]) -> bool:
    """Whether a syllable of ``line`` has new text over the sounds the take's syllable
    on that note had (a client that changed ``text`` and left ``phonemes``);
    ``old_sounds``: note index -> (the take's syllable text, lower case; its phonemes)."""
    for syllable in line.syllables:
        text, sounds = old_sounds.get(syllable.note_index, (None, ()))
        if sounds and syllable.phonemes == sounds and syllable.text.strip().lower() != text:
            return True
    return False


def _lyricists_line(line: LyricLine, lyrics: Lyrics) -> bool:
    """Whether a lyricist wrote the line (so it may be written again). Takes stored
    before lines said who wrote them count as the user's when the user edited any."""
    if line.user_written:
        return False
    return lyrics.provider != USER_PROVIDER or any(other.user_written for other in lyrics.lines)


def phrase_melody(melody: Melody, phrase_index: int) -> Melody:
    """One phrase of ``melody`` as a melody of its own (note indices from 0), to fit a
    line of words to it."""
    phrase = melody.phrases[phrase_index]
    notes = melody.phrase_notes(phrase)
    return Melody(
        notes=list(notes),
        phrases=[Phrase(0, len(notes), phrase.onset_s, phrase.duration_s)],
        duration_s=melody.duration_s,
        engine=melody.engine,
        tempo_bpm=melody.tempo_bpm,
        key=melody.key,
    )


def line_on_phrase(line: LyricLine, melody: Melody, phrase_index: int) -> LyricLine:
    """A line fitted to :func:`phrase_melody` moved back onto the whole melody."""
    first = melody.phrases[phrase_index].first_note_index
    return replace(
        line,
        phrase_index=phrase_index,
        syllables=tuple(
            replace(syllable, note_index=syllable.note_index + first) for syllable in line.syllables
        ),
    )


def changed_notes(old: Sequence[Note], new: Sequence[Note]) -> list[int]:
    """Indices of the new notes that differ from the old note at the same place (pitch
    or timing), plus every index past the end of the shorter list."""
    changed = [
        index
        for index, (before, after) in enumerate(zip(old, new, strict=False))
        if before.midi_pitch != after.midi_pitch
        or abs(before.onset_s - after.onset_s) > TIME_TOLERANCE_S
        or abs(before.duration_s - after.duration_s) > TIME_TOLERANCE_S
    ]
    return changed + list(range(min(len(old), len(new)), len(new)))


def assembled_lyrics(
    lines_by_phrase: Mapping[int, LyricLine],
    *,
    provider: str,
    model: str = "",
    seed: int = 0,
    warnings: Sequence[str] = (),
) -> Lyrics:
    """The revised take's lyrics: its lines in phrase order."""
    return Lyrics(
        lines=tuple(lines_by_phrase[index] for index in sorted(lines_by_phrase)),
        provider=provider,
        model=model,
        seed=seed,
        warnings=tuple(warnings),
    )


def words_of_syllables(syllables: Sequence[Syllable]) -> str:
    """The words the syllables spell, e.g. "hap" "py" "day" -> "happy day"."""
    words: list[str] = []
    for syllable in syllables:
        if syllable.starts_word or not words:
            words.append(syllable.text)
        else:
            words[-1] += syllable.text
    return " ".join(words)


def same_song(before: Melody, after: Melody, lyrics_before: Lyrics, lyrics_after: Lyrics) -> bool:
    """Whether a revision's melody and words are the take's own: the same notes (onsets
    and durations within ``TIME_TOLERANCE_S``, the same MIDI pitches), the same phrases,
    and the same lines with their syllables on the same notes."""
    if len(before.notes) != len(after.notes) or len(before.phrases) != len(after.phrases):
        return False
    for old, new in zip(before.notes, after.notes, strict=True):
        if (
            old.midi_pitch != new.midi_pitch
            or abs(old.onset_s - new.onset_s) > TIME_TOLERANCE_S
            or abs(old.duration_s - new.duration_s) > TIME_TOLERANCE_S
        ):
            return False
    if any(
        (old.first_note_index, old.note_count) != (new.first_note_index, new.note_count)
        for old, new in zip(before.phrases, after.phrases, strict=True)
    ):
        return False

    def sung(lyrics: Lyrics) -> list[tuple[str, int, tuple[tuple[str, int, int], ...]]]:
        return [
            (
                line.text,
                line.phrase_index,
                tuple((s.text, s.note_index, s.note_count) for s in line.syllables),
            )
            for line in lyrics.lines
        ]

    return sung(lyrics_before) == sung(lyrics_after)


def _phrases_cover(phrases: Sequence[Phrase], note_count: int) -> bool:
    expected = 0
    for phrase in phrases:
        if phrase.first_note_index != expected or phrase.note_count < 1:
            return False
        expected += phrase.note_count
    return expected == note_count and bool(phrases)


def _phrase_of_note(phrases: Sequence[Phrase]) -> dict[int, int]:
    return {
        note_index: phrase_index
        for phrase_index, phrase in enumerate(phrases)
        for note_index in phrase.note_indices
    }
