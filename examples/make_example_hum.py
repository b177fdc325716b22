"""Writes examples/twinkle-hum.flac, the hum that `make demo` sings.

Synthesized by the project (the test hum synthesizer: harmonics under a vowel-like
envelope, vibrato, breath noise), so it carries no third-party rights. Run from the repo
root: ``.venv/bin/python -m examples.make_example_hum``.
"""

from pathlib import Path

import soundfile

from tests.support.hums import hum_notes, synthesize_hum

SAMPLE_RATE_HZ = 22_050
# "Twinkle, twinkle, little star" in C: two phrases with a breath between them.
TWINKLE_PITCHES = (60, 60, 67, 67, 69, 69, 67, 65, 65, 64, 64, 62, 62, 60)


def main() -> None:
    notes = hum_notes(TWINKLE_PITCHES, note_duration_s=0.42, gap_s=0.04, rests_s={6: 0.5})
    samples = synthesize_hum(notes, SAMPLE_RATE_HZ, seed=11)
    path = Path(__file__).with_name("twinkle-hum.flac")
    soundfile.write(path, samples, SAMPLE_RATE_HZ, subtype="PCM_16")
    print(f"{path}: {len(samples) / SAMPLE_RATE_HZ:.1f} s")


if __name__ == "__main__":
    main()
