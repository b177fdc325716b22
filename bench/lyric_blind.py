"""A blind pair sheet: the old and the new local lyricist on the same requests.

``python -m bench.lyric_blind SHEET KEY`` writes, for the first 20 requests of the fixed
set (``bench/lyric_requests.py``, on their melodies), the old lyricist's lines
(``bench/data/lyrics_before.json``) and the new one's as X and Y in an order drawn from
``random.Random(2026)``, to SHEET; which is which goes to KEY (JSON), so that a reader
judges the sheet before opening the key. The judgement and the tally are kept in
``bench/data/lyrics_blind_pairs.md``.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from bench.lyric_quality import BEFORE
from bench.lyric_requests import REQUESTS
from services.common.settings import Settings
from services.lyrics.writer import write_lyrics

PAIRS = 20
ORDER_SEED = 2026


def main(argv: list[str]) -> None:
    sheet_path, key_path = Path(argv[0]), Path(argv[1])
    settings = Settings(_env_file=None, lyrics_default_provider="local")
    before = json.loads(BEFORE.read_text(encoding="utf-8"))["takes"]
    order = random.Random(ORDER_SEED)
    sheet = [f"# Blind pairs: same request, order shuffled (random.Random({ORDER_SEED}))\n"]
    key: dict[int, str] = {}
    for number, (item, old) in enumerate(zip(REQUESTS[:PAIRS], before, strict=False), 1):
        new = [line.text for line in write_lyrics(item.request(), settings).lines]
        pair = [("old", old["melody_lines"]), ("new", new)]
        order.shuffle(pair)
        key[number] = pair[0][0]
        sheet.append(f"### {number}: {item.theme} ({item.mood}, {item.genre})")
        for label, (_, lines) in zip("XY", pair, strict=True):
            sheet.append(f"  {label}: {' / '.join(lines)}")
    sheet_path.write_text("\n".join(sheet) + "\n", encoding="utf-8")
    key_path.write_text(json.dumps({str(k): {"X": v} for k, v in key.items()}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
