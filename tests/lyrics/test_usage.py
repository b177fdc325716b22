"""The usage prior: words that songs on other themes sing often are drawn less often
(services/lyrics/usage.py, learned by bench/word_usage.py; issue 13)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bench.lyric_requests import OTHER_REQUESTS, REQUESTS
from bench.word_usage import TRAINING_THEMES, lexicon_words_of
from services.lyrics import grammar
from services.lyrics.local import LocalLyricist
from services.lyrics.usage import (
    NEUTRAL_PRIOR,
    TARGET_SHARE,
    UsagePrior,
    current_prior,
    load_prior,
    overridden,
    updated_factors,
)
from services.lyrics.vocabulary import build_vocabulary
from tests.lyrics import test_variety


def test_a_word_sung_too_often_is_damped_towards_the_target_share() -> None:
    factors = updated_factors({}, {"glow": 4 * TARGET_SHARE})

    assert 0.25 < factors["glow"] < 1.0
    # Step after step, the factor keeps falling while the word stays above the target.
    assert updated_factors(factors, {"glow": 2 * TARGET_SHARE})["glow"] < factors["glow"]


def test_a_word_damped_too_far_recovers_and_a_recovered_word_is_left_out() -> None:
    recovering = updated_factors({"glow": 0.1}, {"glow": TARGET_SHARE / 10})
    recovered = updated_factors({"glow": 0.9}, {})

    assert 0.1 < recovering["glow"] < 1.0
    assert recovered == {}


def test_words_at_or_under_the_target_are_not_damped() -> None:
    assert updated_factors({}, {"glow": TARGET_SHARE, "sea": TARGET_SHARE / 2}) == {}


def test_a_missing_or_broken_prior_file_names_the_command_that_writes_it(tmp_path: Path) -> None:
    broken = tmp_path / "word_usage.json"
    broken.write_text(json.dumps({"factors": {"glow": 0.0}}), encoding="utf-8")

    with pytest.raises(RuntimeError, match=r"bench\.word_usage --write"):
        load_prior(tmp_path / "missing.json")
    with pytest.raises(RuntimeError, match="glow"):
        load_prior(broken)


def test_the_shipped_prior_damps_words_the_lyricist_has_and_within_0_and_1() -> None:
    prior = load_prior()
    lexicon = {word.text for word in build_vocabulary("", "", "").all_words}
    frame_words = {
        word for frame in (*grammar.FRAMES, *grammar.HEAD_FRAMES) for word in frame.content_literals
    }

    assert len(prior.factors) >= 50
    assert all(0.0 < factor < 1.0 for factor in prior.factors.values())
    assert set(prior.factors) <= lexicon | frame_words


def test_the_training_themes_are_in_neither_bench_set_nor_the_tests() -> None:
    # Else the variety figures would be met where the prior was learned.
    trained = {theme.lower() for theme, _, _ in TRAINING_THEMES}
    measured = {item.theme.lower() for item in (*REQUESTS, *OTHER_REQUESTS)}
    measured |= {theme.lower() for theme in test_variety.THEMES}

    assert not trained & measured


def test_a_sung_form_counts_for_the_lexicon_words_it_is_a_form_of() -> None:
    assert lexicon_words_of("stays") == {"stay"}
    assert lexicon_words_of("leaves") == {"leaf", "leave"}
    assert lexicon_words_of("trains") == {"train"}


def _palettes_holding(
    word: str, theme: str, genre: str, prior: UsagePrior, songs: int = 300
) -> int:
    vocabulary = build_vocabulary(theme, "", genre)
    with overridden(prior):
        return sum(
            word in {entry.text for entry in LocalLyricist(vocabulary, random.Random(seed))
                     .vocabulary.all_words}
            for seed in range(songs)
        )  # fmt: skip


def test_a_damped_word_is_in_fewer_palettes() -> None:
    # Country songs lean towards the home scene, whose words are in most palettes.
    damped = UsagePrior({"remember": 0.25})

    neutral = _palettes_holding("remember", "the ocean at dawn", "country", NEUTRAL_PRIOR)
    fewer = _palettes_holding("remember", "the ocean at dawn", "country", damped)

    assert neutral > 100
    assert fewer < 0.45 * neutral


def test_the_words_of_the_theme_and_of_its_own_scenes_are_never_damped() -> None:
    damped = UsagePrior({"remember": 0.001, "rain": 0.001})

    assert _palettes_holding("rain", "rain on the window", "", damped) == 300
    # "remember" is a word of the home scene, which "my grandmother's house" switches on.
    assert _palettes_holding("remember", "my grandmother's house", "", damped) == _palettes_holding(
        "remember", "my grandmother's house", "", NEUTRAL_PRIOR
    )


def test_overriding_the_prior_lasts_for_the_block_only() -> None:
    stored = current_prior()
    with overridden(NEUTRAL_PRIOR):
        assert current_prior() is NEUTRAL_PRIOR
    assert current_prior() is stored
