"""The name a served file is saved under (services/common/downloads.py)."""

from __future__ import annotations

from services.common.downloads import MAX_STEM_CHARS, content_disposition, file_name


def test_a_plain_title_becomes_the_file_name() -> None:
    assert content_disposition(file_name("stars over town", "musicxml")) == (
        ("content-disposition", 'attachment; filename="stars over town.musicxml"'),
    )


def test_audio_a_page_plays_is_inline_and_still_named() -> None:
    assert content_disposition("take.wav", inline=True) == (
        ("content-disposition", 'inline; filename="take.wav"'),
    )


def test_a_name_beyond_ascii_is_given_exactly_in_utf8_and_plainly_for_old_clients() -> None:
    ((_, value),) = content_disposition(file_name("Zoë’s 東京", "ustx"))

    assert value == (
        "attachment; filename=\"Zoe's.ustx\"; filename*=UTF-8''Zo%C3%AB%E2%80%99s%20"
        "%E6%9D%B1%E4%BA%AC.ustx"
    )


def test_a_title_cannot_name_a_path_or_break_the_header() -> None:
    assert file_name("../../etc/passwd", "mid") == "etc passwd.mid"
    assert file_name('say "hi"\r\nX-Evil: 1', "mid") == "say hi X-Evil 1.mid"
    assert '"' not in content_disposition(file_name('a "quoted" title', "mid"))[0][1][22:-1]


def test_an_empty_or_dotted_title_falls_back_and_a_long_one_is_cut() -> None:
    assert file_name("", "wav", "take") == "take.wav"
    assert file_name(" .. ", "wav", "take") == "take.wav"
    assert file_name("la" * 100, "wav") == "la" * (MAX_STEM_CHARS // 2) + ".wav"


def test_invisible_characters_that_could_disguise_a_name_are_left_out() -> None:
    # A right-to-left override shows "exe.txt" as "txt.exe"; zero-width spaces and the
    # BOM make two names that look alike differ.
    assert file_name("\u202etxt.exe", "musicxml") == "txt.exe.musicxml"
    assert file_name("stars\u200bover\ufefftown", "mid") == "stars over town.mid"


def test_a_suffix_survives_a_long_title_and_a_missing_one() -> None:
    long_name = file_name("long " * 99, "flac", "recording", suffix=" (recording)")

    assert long_name.endswith(" (recording).flac")
    assert file_name("", "flac", "recording", suffix=" (recording)") == "recording.flac"
    assert content_disposition(file_name("stars over town", "flac", suffix=" (recording)")) == (
        ("content-disposition", 'attachment; filename="stars over town (recording).flac"'),
    )
