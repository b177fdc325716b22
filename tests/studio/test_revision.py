"""What a revision of a take redoes: edited notes checked, words kept or fitted again."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest

from services.common.errors import InvalidInputError
from services.common.music import LyricLine, Lyrics, Melody, Note, Phrase, Syllable
from services.studio.revision import (
    EDITED_ENGINE,
    USER_PROVIDER,
    at_tempo,
    checked_lyrics,
    checked_melody,
    line_on_phrase,
    phrase_melody,
    plan_words,
)

MAX_S = 300.0


def two_phrase_melody() -> Melody:
    """Notes 0-2 sung, a rest, notes 3-4 sung."""
    notes = [
        Note(0.0, 0.5, 60),
        Note(0.5, 0.5, 62),
        Note(1.0, 0.5, 64),
        Note(2.5, 0.5, 65),
        Note(3.0, 1.0, 67),
    ]
    return Melody(notes, [Phrase(0, 3, 0.0, 1.5), Phrase(3, 2, 2.5, 1.5)], 4.5, "swift")


def two_line_lyrics() -> Lyrics:
    return Lyrics(
        lines=(
            LyricLine(
                "happy day",
                (
                    Syllable("hap", 0, stressed=True),
                    Syllable("py", 1, starts_word=False),
                    Syllable("day", 2, stressed=True),
                ),
                0,
            ),
            LyricLine("sing on", (Syllable("sing", 3), Syllable("on", 4)), 1),
        ),
        provider="local",
    )


def test_an_edited_melody_without_phrases_gets_them_from_its_rests() -> None:
    melody = replace(two_phrase_melody(), phrases=[])
    checked = checked_melody(melody, max_duration_s=MAX_S)
    assert [(p.first_note_index, p.note_count) for p in checked.phrases] == [(0, 3), (3, 2)]
    assert checked.engine == EDITED_ENGINE


@pytest.mark.parametrize(
    ("notes", "complaint"),
    [
        ([Note(0.0, 0.5, 60), Note(0.3, 0.5, 62)], "overlap"),
        ([Note(1.0, 0.5, 60), Note(0.0, 0.5, 62)], "time order"),
        ([Note(0.0, 0.5, 128)], "MIDI pitch 128"),
        ([Note(0.0, 0.5, -1)], "MIDI pitch -1"),
        ([Note(0.0, 0.0, 60)], "more than 0 s"),
        ([Note(0.0, -1.0, 60)], "more than 0 s"),
        ([Note(299.9, 1.0, 60)], "note 1 ends at 300.9 s; a take may last at most 300 s"),
        ([Note(0.0, 1e308, 60)], r"note 1 ends at 1e\+308 s"),
        ([], "^the melody has no notes; at least one is needed$"),
    ],
)
def test_edited_notes_that_cannot_be_sung_are_refused_with_the_reason(
    notes: list[Note], complaint: str
) -> None:
    with pytest.raises(InvalidInputError, match=complaint):
        checked_melody(Melody(notes, [], 0.0, "edited"), max_duration_s=MAX_S)


@pytest.mark.parametrize(
    ("note", "complaint"),
    [
        (Note(math.nan, 0.5, 60), "note 1 has onset_s nan; it must be a finite number"),
        (Note(0.0, math.inf, 60), "note 1 has duration_s inf; it must be a finite number"),
        (Note(0.0, 0.5, 60, cents_offset=-math.inf), "note 1 has cents_offset -inf"),
    ],
)
def test_numbers_that_are_not_finite_are_refused_naming_the_note_and_field(
    note: Note, complaint: str
) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(complaint)):
        checked_melody(Melody([note], [], 1.0, "edited"), max_duration_s=MAX_S)


@pytest.mark.parametrize("tempo_bpm", [math.nan, math.inf, -1.0, 1000.0, 1e-300, 0.001, 9.9])
def test_a_tempo_that_no_score_can_state_is_refused(tempo_bpm: float) -> None:
    melody = Melody([Note(0.0, 0.5, 60)], [], 1.0, "edited", tempo_bpm=tempo_bpm)
    with pytest.raises(InvalidInputError, match="a tempo is 0 \\(not known\\) or from 10 to 400"):
        checked_melody(melody, max_duration_s=MAX_S)


@pytest.mark.parametrize(
    ("tempo_bpm", "tempo_scale", "stated_after_twice_bpm"),
    [(100.0, 0.5, 25.0), (40.0, 0.25, 10.0), (240.0, 4.0, 400.0), (0.0, 0.25, 0.0)],
)
def test_a_take_sung_slower_or_faster_again_and_again_keeps_a_tempo_a_score_can_state(
    tempo_bpm: float, tempo_scale: float, stated_after_twice_bpm: float
) -> None:
    melody = replace(two_phrase_melody(), tempo_bpm=tempo_bpm)
    once = at_tempo(melody, tempo_scale, max_duration_s=MAX_S)
    twice = at_tempo(once, tempo_scale, max_duration_s=MAX_S)
    assert twice.tempo_bpm == stated_after_twice_bpm
    checked_melody(twice, max_duration_s=MAX_S)  # still a melody a caller may send back


def test_notes_that_touch_end_to_start_are_not_an_overlap() -> None:
    melody = Melody([Note(0.0, 0.1 + 0.2, 60), Note(0.3, 0.5, 62)], [], 1.0, "x")
    assert len(checked_melody(melody, max_duration_s=MAX_S).notes) == 2


def test_edited_notes_without_phrases_keep_the_phrases_of_the_notes_they_were() -> None:
    old = two_phrase_melody()  # notes 0-2 | rest | notes 3-4
    notes = [
        old.notes[0],  # note 1 deleted: a 0.5 s gap, yet still phrase 1
        old.notes[2],
        Note(1.5, 0.25, 66),  # added right after: joins phrase 1
        old.notes[3],
        old.notes[4],
        Note(5.0, 0.5, 60),  # added alone after a long rest: a tail of the last phrase
    ]
    checked = checked_melody(
        Melody(notes, [], 6.0, "edited"), max_duration_s=MAX_S, edited_from=old
    )
    assert [(p.first_note_index, p.note_count) for p in checked.phrases] == [(0, 3), (3, 3)]


@pytest.mark.parametrize(
    ("onset_s", "phrases"),
    [
        (1.9, [(0, 4), (4, 2)]),  # nearer the end of phrase 1: its tail
        (2.1, [(0, 3), (3, 3)]),  # nearer the start of phrase 2: its pickup
    ],
)
def test_a_note_added_alone_in_a_rest_joins_the_nearer_phrase(
    onset_s: float, phrases: list[tuple[int, int]]
) -> None:
    old = two_phrase_melody()  # notes 0-2 end at 1.5 s | rest | notes 3-4 from 2.5 s
    notes = [*old.notes[:3], Note(onset_s, 0.1, 64), *old.notes[3:]]
    checked = checked_melody(
        Melody(notes, [], 4.5, "edited"), max_duration_s=MAX_S, edited_from=old
    )
    assert [(p.first_note_index, p.note_count) for p in checked.phrases] == phrases


def test_new_notes_in_a_run_after_a_long_rest_are_a_phrase_of_their_own() -> None:
    old = two_phrase_melody()
    notes = [*old.notes, Note(5.0, 0.4, 60), Note(5.5, 0.4, 62)]
    checked = checked_melody(
        Melody(notes, [], 6.0, "edited"), max_duration_s=MAX_S, edited_from=old
    )
    assert [(p.first_note_index, p.note_count) for p in checked.phrases] == [
        (0, 3),
        (3, 2),
        (5, 2),
    ]


def test_a_phrases_first_note_moved_in_time_stays_in_its_phrase() -> None:
    old = two_phrase_melody()  # notes 0-2 | rest | notes 3-4 (from 2.5 s)
    moved = replace(old.notes[3], onset_s=2.4)
    checked = checked_melody(
        Melody([*old.notes[:3], moved, old.notes[4]], [], 4.5, "edited"),
        max_duration_s=MAX_S,
        edited_from=old,
    )
    assert [(p.first_note_index, p.note_count) for p in checked.phrases] == [(0, 3), (3, 2)]


def test_new_words_on_the_same_notes_refit_only_the_replaced_line() -> None:
    plan = plan_words(two_phrase_melody(), two_line_lyrics(), None, line_texts={1: "fly away"})
    assert plan.to_fit == {1: "fly away"}
    assert set(plan.kept) == {0}
    assert plan.user_edited


def test_a_moved_note_keeps_every_syllable_on_its_note() -> None:
    old = two_phrase_melody()
    moved = checked_melody(
        replace(old, notes=[*old.notes[:3], replace(old.notes[3], midi_pitch=67), old.notes[4]]),
        max_duration_s=MAX_S,
    )
    plan = plan_words(old, two_line_lyrics(), moved)
    assert plan.unchanged
    assert [s.text for line in plan.kept.values() for s in line.syllables] == [
        "hap",
        "py",
        "day",
        "sing",
        "on",
    ]
    assert not plan.user_edited


def test_a_split_note_refits_the_words_of_its_phrase_only_and_shifts_the_rest() -> None:
    old = two_phrase_melody()
    first, second = Note(0.0, 0.25, 60), Note(0.25, 0.25, 60)
    split = checked_melody(
        replace(old, notes=[first, second, *old.notes[1:]], phrases=[]), max_duration_s=MAX_S
    )
    plan = plan_words(old, two_line_lyrics(), split)
    assert plan.to_fit == {0: "happy day"}
    assert [s.note_index for s in plan.kept[1].syllables] == [4, 5]


def test_only_the_lyricists_words_may_be_written_again_when_notes_are_deleted() -> None:
    old = two_phrase_melody()
    shorter = checked_melody(
        replace(old, notes=[*old.notes[:2], *old.notes[3:]], phrases=[]), max_duration_s=MAX_S
    )
    assert plan_words(old, two_line_lyrics(), shorter).rewritable == {0}
    users = replace(two_line_lyrics(), provider="user")
    assert plan_words(old, users, shorter).rewritable == set()
    replaced = plan_words(old, two_line_lyrics(), shorter, line_texts={0: "so happy day"})
    assert replaced.rewritable == set()


def test_who_wrote_a_line_is_the_lines_own_after_the_user_replaced_another() -> None:
    old = two_phrase_melody()
    first, second = two_line_lyrics().lines
    lyrics = Lyrics(lines=(replace(first, user_written=True), second), provider="user")
    shorter = checked_melody(
        replace(old, notes=[*old.notes[:4]], phrases=[]), max_duration_s=MAX_S, edited_from=old
    )  # the last note of line 2, the lyricist's, deleted
    assert plan_words(old, lyrics, shorter).rewritable == {1}


def test_a_new_phrase_refits_all_the_words_over_the_melody() -> None:
    old = two_phrase_melody()
    extra = Note(5.0, 0.5, 60)
    longer = checked_melody(
        replace(old, notes=[*old.notes, extra], phrases=[]), max_duration_s=MAX_S
    )
    plan = plan_words(old, two_line_lyrics(), longer, line_texts={0: "a new day"})
    assert plan.refit_all == "a new day\nsing on"


def test_replacing_a_line_that_does_not_exist_names_the_lines_there_are() -> None:
    with pytest.raises(InvalidInputError) as refused:
        plan_words(two_phrase_melody(), two_line_lyrics(), None, line_texts={5: "x"})
    assert str(refused.value) == (
        'line_texts key "5" names no line: the lyrics have 2 lines, keys 0..1 (0 is line 1)'
    )


def test_messages_count_notes_and_lines_from_1() -> None:
    with pytest.raises(InvalidInputError, match=r'^the new words of line 2 \(line_texts key "1"\)'):
        plan_words(two_phrase_melody(), two_line_lyrics(), None, line_texts={1: " "})
    melody = two_phrase_melody()
    crossed = replace(melody.notes[2], onset_s=melody.notes[1].onset_s - 0.1)
    with pytest.raises(InvalidInputError, match=r"^note 3 starts at .* before note 2 "):
        checked_melody(
            replace(melody, notes=[*melody.notes[:2], crossed, *melody.notes[3:]]),
            max_duration_s=MAX_S,
        )


def test_syllables_given_on_notes_must_cover_every_note_once_in_order() -> None:
    melody = two_phrase_melody()
    lyrics = two_line_lyrics()
    assert checked_lyrics(lyrics, melody).syllables == lyrics.syllables
    missing = replace(lyrics, lines=lyrics.lines[:1])
    with pytest.raises(InvalidInputError, match=r"^notes 4..5 have no syllable"):
        checked_lyrics(missing, melody)
    beyond = replace(lyrics, lines=(*lyrics.lines, LyricLine("la", (Syllable("la", 9),), 2)))
    with pytest.raises(
        InvalidInputError,
        match=r"has note_index 9, but the melody has 5 notes \(note_index 0..4\)",
    ):
        checked_lyrics(beyond, melody)


def test_a_melisma_covers_its_notes() -> None:
    melody = two_phrase_melody()
    lyrics = Lyrics(
        lines=(
            LyricLine("oh", (Syllable("oh", 0, note_count=3),), 0),
            LyricLine("sing on", (Syllable("sing", 3), Syllable("on", 4)), 1),
        ),
        provider="user",
    )
    assert len(checked_lyrics(lyrics, melody).syllables) == 3


def test_a_line_fitted_to_one_phrase_lands_back_on_its_notes() -> None:
    melody = two_phrase_melody()
    alone = phrase_melody(melody, 1)
    assert [n.midi_pitch for n in alone.notes] == [65, 67]
    fitted = LyricLine("fly high", (Syllable("fly", 0), Syllable("high", 1)), 0)
    line = line_on_phrase(fitted, melody, 1)
    assert line.phrase_index == 1
    assert [s.note_index for s in line.syllables] == [3, 4]


def test_syllables_edited_on_their_notes_make_the_lines_text() -> None:
    melody = two_phrase_melody()
    lyrics = two_line_lyrics()
    first, second = lyrics.lines
    edited = replace(
        lyrics,
        lines=(
            replace(first, text="Happy day!"),  # the same words, its own punctuation
            replace(
                second,
                syllables=(Syllable("sing", 3), Syllable("out", 4)),  # "on" -> "out"
            ),
        ),
    )
    checked = checked_lyrics(edited, melody)
    assert [line.text for line in checked.lines] == ["Happy day!", "sing out"]


def _with_a_new_phrase_after_a_rest(old: Melody) -> Melody:
    notes = [*old.notes, Note(5.0, 0.4, 60), Note(5.5, 0.4, 62)]
    return checked_melody(Melody(notes, [], 6.0, "edited"), max_duration_s=MAX_S, edited_from=old)


def test_a_new_phrase_of_added_notes_keeps_every_line_and_asks_the_lyricist_for_one() -> None:
    old = two_phrase_melody()
    plan = plan_words(old, two_line_lyrics(), _with_a_new_phrase_after_a_rest(old))

    assert not plan.refit_all
    assert [line.text for _, line in sorted(plan.kept.items())] == ["happy day", "sing on"]
    assert plan.added == {2}
    assert not plan.unchanged


def test_a_new_phrase_among_the_users_own_words_re_flows_them_as_before() -> None:
    old = two_phrase_melody()
    users = replace(two_line_lyrics(), provider=USER_PROVIDER)
    plan = plan_words(old, users, _with_a_new_phrase_after_a_rest(old))
    assert plan.refit_all == "happy day\nsing on"
    assert not plan.added


def test_a_new_phrase_between_two_keeps_the_later_lines_on_their_moved_phrases() -> None:
    first = two_phrase_melody().notes[:3]  # 0 to 1.5 s
    second = [Note(5.5, 0.5, 65), Note(6.0, 1.0, 67)]
    old = Melody([*first, *second], [Phrase(0, 3, 0.0, 1.5), Phrase(3, 2, 5.5, 1.5)], 7.5, "x")
    # Two notes added alone in the long rest between them: a phrase of their own.
    notes = [*first, Note(3.0, 0.4, 60), Note(3.5, 0.4, 62), *second]
    new = checked_melody(Melody(notes, [], 7.5, "edited"), max_duration_s=MAX_S, edited_from=old)

    plan = plan_words(old, two_line_lyrics(), new)

    assert [(p.first_note_index, p.note_count) for p in new.phrases] == [(0, 3), (3, 2), (5, 2)]
    assert sorted(plan.kept) == [0, 2]
    assert plan.kept[2].phrase_index == 2
    assert [s.note_index for s in plan.kept[2].syllables] == [5, 6]
    assert plan.added == {1}
