"""``make bench``: every measurement, as the markdown the README's figures come from."""

from __future__ import annotations

import os
import platform
import subprocess
import time

from bench import eval as note_eval
from bench import lyrics, pitch, revise, scores, studio, studio_page, synth, timbre


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            cpu = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in cpuinfo
                    if line.startswith("model name")
                ),
                cpu,
            )
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), no GPU, Python {platform.python_version()}, "
        f"commit {commit or '?'}, load average {load:.1f} at start, "
        f"{time.strftime('%Y-%m-%d')}"
    )


def main() -> None:
    print(f"# Benchmarks\n\nMachine: {machine()}\n")
    pitch.main()
    print("\n## Pitch: note F1 against human annotations (../shared/eval, mir_eval)\n")
    print("```")
    note_eval.main([])
    print("```\n")
    for section in (
        studio.main,
        studio_page.main,
        revise.main,
        synth.main,
        lyrics.main,
        scores.main,
    ):
        section()
        print(flush=True)
    timbre.main([])


if __name__ == "__main__":
    main()
