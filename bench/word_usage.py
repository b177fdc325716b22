"""Learns the lyricist's usage prior (``services/lyrics/usage.py``) from its own takes.

    python -m bench.word_usage            # learn and print the shares, step by step
    python -m bench.word_usage --write    # ... and rewrite services/lyrics/word_usage.json

The local lyricist writes every request of ``TRAINING_THEMES`` (64 themes × moods ×
genres, none of them in ``bench/lyric_requests.py``'s two sets or in the tests' third
set, ``tests/lyrics/test_variety.py``) on the bench's four
melody shapes and as 4 lines of 7 syllables, with ``len(SEED_OFFSETS)`` seeds each:
``takes_per_step`` takes. A word's share is the share of those takes that sing it,
leaving out the takes whose theme or whose theme's scenes hold it (a song about rain may
say "rain", one about a train "platform": the prior does not damp those). Each step
updates the factors (``usage.updated_factors``) and writes the takes again with them;
after ``STEPS`` steps the factors are the prior. The same code always learns the same
factors (every draw is seeded).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache

from bench.lyric_requests import BenchRequest, requests_of
from services.common.settings import Settings
from services.lyrics.lexicon import GRAMMAR_WORDS, gerund, third_person
from services.lyrics.text import words_of
from services.lyrics.usage import (
    TARGET_SHARE,
    USAGE_PATH,
    UsagePrior,
    overridden,
    updated_factors,
)
from services.lyrics.vocabulary import build_vocabulary
from services.lyrics.writer import write_lyrics

#: Learning steps; the shares settle after about six.
STEPS = 8
#: Seeds of each request: the request's index plus each offset.
SEED_OFFSETS = (5000, 6000, 7000, 8000)

TRAINING_THEMES: tuple[tuple[str, str, str], ...] = (
    ("a road trip with my brother", "carefree", "rock"),
    ("the night before the exam", "anxious", "indie"),
    ("falling in love at the fair", "joyful", "pop"),
    ("a fisherman's last voyage", "melancholy", "folk"),
    ("the streets where I grew up", "nostalgic", "hip hop"),
    ("a candle in the window", "tender", "ballad"),
    ("snowed in with you", "cozy", "acoustic"),
    ("chasing the sunrise", "hopeful", "pop"),
    ("an empty apartment", "lonely", "indie"),
    ("the carnival leaves town", "wistful", "folk"),
    ("a mother singing to her baby", "gentle", "lullaby"),
    ("saturday night downtown", "energetic", "dance"),
    ("the old oak tree", "peaceful", "folk"),
    ("rain on a tin roof", "calm", "country"),
    ("a ship lost at sea", "dark", "ballad"),
    ("my first guitar", "nostalgic", "rock"),
    ("walking home in the snow", "peaceful", "acoustic"),
    ("a summer job at the diner", "cheerful", "country"),
    ("the war is over", "hopeful", "anthem"),
    ("a paper boat on the creek", "longing", "pop"),
    ("my uncle's old workshop", "nostalgic", "country"),
    ("the moon over the harbor", "romantic", "jazz"),
    ("a fight with my best friend", "angry", "rock"),
    ("morning run by the river", "energetic", "pop"),
    ("the circus at midnight", "mysterious", "cabaret"),
    ("a cabin in the woods", "calm", "folk"),
    ("learning to let go", "sad", "ballad"),
    ("fireworks on new year's eve", "joyful", "pop"),
    ("the train to the mountains", "adventurous", "folk"),
    ("a broken heart in the city", "melancholy", "blues"),
    ("a picnic in the park", "happy", "acoustic"),
    ("the quiet after the storm", "peaceful", "ambient"),
    ("a street musician", "wistful", "jazz"),
    ("growing old together", "tender", "country"),
    ("the astronaut's farewell", "lonely", "ambient"),
    ("a village by the river", "calm", "folk"),
    ("the smell of fresh coffee", "cheerful", "jazz"),
    ("a secret garden", "mysterious", "folk"),
    ("driving all night", "restless", "rock"),
    ("the festival in the rain", "joyful", "indie"),
    ("a childhood friend", "nostalgic", "pop"),
    ("dancing with my father", "tender", "ballad"),
    ("the lighthouse in the fog", "lonely", "ambient"),
    ("my cat asleep in the sun", "happy", "acoustic"),
    ("a ghost in the old house", "dark", "folk"),
    ("first kiss on the beach", "romantic", "pop"),
    ("apple picking in october", "peaceful", "country"),
    ("a soldier's letter home", "sad", "ballad"),
    ("skating on the frozen lake", "cheerful", "pop"),
    ("the bakery at dawn", "calm", "jazz"),
    ("the city never sleeps", "energetic", "edm"),
    ("an island far away", "dreamy", "reggae"),
    ("the clock tower", "mysterious", "rock"),
    ("sunflowers in july", "happy", "country"),
    ("a late night phone call", "longing", "soul"),
    ("the desert highway", "lonely", "country"),
    ("a wedding dance", "joyful", "swing"),
    ("the river runs to the sea", "hopeful", "folk"),
    ("my brother's old bicycle", "wistful", "indie"),
    ("a thunderstorm at sea", "angry", "metal"),
    ("a rainy day in london", "melancholy", "jazz"),
    ("the stars above the farm", "peaceful", "country"),
    ("a midnight swim", "carefree", "pop"),
    ("the last song of the night", "sad", "ballad"),
)

#: The training requests: every theme on one of the four shapes and schemes in turn.
TRAINING_REQUESTS = requests_of(TRAINING_THEMES)


def takes_per_step(requests: Sequence[BenchRequest] = TRAINING_REQUESTS) -> int:
    """How many takes one learning step writes."""
    return 2 * len(requests) * len(SEED_OFFSETS)


def lexicon_words_of(form: str) -> frozenset[str]:
    """The lexicon words a sung word is a form of ("stays" -> stay, "leaves" -> leaf and
    leave, "humming" -> hum); the word itself when it is no form of one."""
    return _forms().get(form, frozenset({form}))


@cache
def _forms() -> dict[str, frozenset[str]]:
    bases: dict[str, set[str]] = {}
    for word in build_vocabulary("", "", "").all_words:
        forms = {word.text, word.plural}
        if word.part_of_speech in ("verb", "tverb"):
            forms |= {third_person(word.text), gerund(word.text)}
        for form in forms - {""}:
            bases.setdefault(form, set()).add(word.text)
    return {form: frozenset(found) for form, found in bases.items()}


def shares_of(
    prior: UsagePrior,
    requests: Sequence[BenchRequest] = TRAINING_REQUESTS,
    seed_offsets: Sequence[int] = SEED_OFFSETS,
) -> dict[str, float]:
    """Word -> the share of the requests' takes, written with ``prior``, that sing it
    outside their own theme and its scenes (on the melody and as 4 lines of 7
    syllables, each seed): what the prior damps.
    A sung form counts for its lexicon words (``lexicon_words_of``), which the prior
    damps."""
    settings = Settings(_env_file=None, lyrics_default_provider="local")
    sung: Counter[str] = Counter()
    takes = 0
    with overridden(prior):
        for offset in seed_offsets:
            for bench_request in requests:
                seeded = replace(bench_request, seed=bench_request.seed + offset)
                vocabulary = build_vocabulary(seeded.theme, seeded.mood, seeded.genre)
                own = {word.text.lower() for word in vocabulary.core_words}
                own |= vocabulary.associates
                for request in (seeded.request(), seeded.plain_request()):
                    lyrics = write_lyrics(request, settings)
                    words = {
                        base
                        for line in lyrics.lines
                        for form in words_of(line.text)
                        if form not in GRAMMAR_WORDS and form not in own
                        for base in lexicon_words_of(form)
                    }
                    sung.update(words - own)
                    takes += 1
    return {word: count / takes for word, count in sung.items()}


def learn(steps: int = STEPS, report: bool = True) -> dict[str, float]:
    """The factors after ``steps`` learning steps from none (see the module docstring)."""
    factors: dict[str, float] = {}
    for step in range(steps + 1):
        shares = shares_of(UsagePrior(factors))
        if report:
            _report(step, shares, factors)
        if step < steps:
            factors = updated_factors(factors, shares)
    return factors


def _report(step: int, shares: Mapping[str, float], factors: Mapping[str, float]) -> None:
    top = sorted(shares.items(), key=lambda item: (-item[1], item[0]))[:6]
    above = sum(share > TARGET_SHARE for share in shares.values())
    print(
        f"step {step}: {len(factors)} words damped; most sung "
        + ", ".join(f"{word} {share:.1%}" for word, share in top)
        + f"; {above} words above {TARGET_SHARE:.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {USAGE_PATH.name}")
    arguments = parser.parse_args()
    factors = learn()
    if arguments.write:
        stored = {
            "about": "written by python -m bench.word_usage --write; see services/lyrics/usage.py",
            "target_share": TARGET_SHARE,
            "takes_per_step": takes_per_step(),
            "steps": STEPS,
            "factors": factors,
        }
        USAGE_PATH.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {len(factors)} factors to {USAGE_PATH}")


if __name__ == "__main__":
    main()
