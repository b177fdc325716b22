"""Any line, from any provider, is made to fit its notes with as little change as possible."""

from __future__ import annotations

import random

import pytest

from services.lyrics.fit import fit_lines, repair_line
from services.lyrics.local import LocalLyricist
from services.lyrics.plan import plan_from_counts
from services.lyrics.syllables import count_syllables, line_fits, to_lyric_line
from services.lyrics.vocabulary import build_vocabulary


def lyricist(seed: int = 0) -> LocalLyricist:
    return LocalLyricist(build_vocabulary("night sky", "", ""), random.Random(seed))


def test_a_word_sung_either_way_takes_the_count_that_fits() -> None:
    plan = plan_from_counts([4, 5], max_syllables=20)
    short = to_lyric_line("light the fire now", plan.lines[0])
    long = to_lyric_line("light the fire now", plan.lines[1])

    assert short is not None and long is not None
    assert [s.text for s in long.syllables] == ["light", "the", "fi", "re", "now"]


def test_filler_words_are_dropped_first() -> None:
    line = plan_from_counts([6], max_syllables=10).lines[0]
    repaired = repair_line("oh I just want to hold you so", line, lyricist())

    assert repaired == "I want to hold you so"


def test_a_short_line_gets_a_sung_interjection() -> None:
    line = plan_from_counts([6], max_syllables=10).lines[0]

    assert repair_line("Hold me tonight", line, lyricist()) == "Oh, Oh, hold me tonight"


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("Under the endless midnight sky we wander through the silver light", 7),
        ("Stars", 9),
        ("", 5),
        ("!!! ???", 3),
        ("a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a", 1),
        ("Supercalifragilisticexpialidocious", 2),
    ],
)
def test_any_text_is_repaired_to_the_exact_count(text: str, target: int) -> None:
    line = plan_from_counts([target], max_syllables=50).lines[0]

    assert line_fits(repair_line(text, line, lyricist()), target)


def test_a_rewritten_ending_keeps_the_rhyme() -> None:
    line = plan_from_counts([5], max_syllables=10).lines[0]
    repaired = repair_line(
        "we were dancing all alone beneath the golden light", line, lyricist(), rhyme_with="night"
    )

    assert line_fits(repaired, 5)
    assert repaired.rstrip(".,!").split()[-1] == "light"


def test_fitting_lines_pass_untouched_and_are_reported_as_raw_fit() -> None:
    plan = plan_from_counts([3, 4], max_syllables=10)
    result = fit_lines(["hold me close", "under the moon"], plan, ("", ""), lyricist())

    assert result.raw_fit
    assert [line.text for line in result.lines] == ["hold me close", "under the moon"]
    assert result.locally_repaired_lines == 0


def test_missing_and_extra_lines_are_not_a_raw_fit() -> None:
    plan = plan_from_counts([3, 4], max_syllables=10)
    missing = fit_lines(["hold me close"], plan, ("", ""), lyricist())
    extra = fit_lines(["hold me close", "under the moon", "more"], plan, ("", ""), lyricist())

    assert not missing.raw_fit and missing.raw_match_rate == 0.5
    assert count_syllables(missing.lines[1].text) == 4
    assert not extra.raw_fit and len(extra.lines) == 2


def test_the_llm_is_asked_again_with_the_exact_mismatch() -> None:
    plan = plan_from_counts([3, 4], max_syllables=10)
    asked: list[tuple[int, int, int]] = []

    def reask(lines, missed):
        asked.extend((m.line_index, m.counted, m.expected) for m in missed)
        return ["hold me close", "under the moon"]

    result = fit_lines(
        ["hold me close", "under the moon tonight"], plan, ("", ""), lyricist(), reask=reask
    )

    assert asked == [(1, 6, 4)]
    assert result.llm_repair_requests == 1
    assert result.locally_repaired_lines == 0
    assert result.lines[1].text == "under the moon"
