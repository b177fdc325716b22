"""Our swift-engine note F1 on the vocadito clips stays above today's level.

Floors sit a little under the scores measured when they were set (vocadito_1: 0.900 vs A1,
0.896 vs A2; vocadito_10: 0.806 vs A1, 0.741 vs A2), so a regression fails while noise does not.
"""

from __future__ import annotations

import pytest

from bench.eval import eval_dir, score_clip

FLOORS = {
    ("vocadito_1", "A1"): 0.89,
    ("vocadito_1", "A2"): 0.88,
    ("vocadito_10", "A1"): 0.77,
    ("vocadito_10", "A2"): 0.70,
}

pytestmark = [
    pytest.mark.eval,
    pytest.mark.skipif(
        not (eval_dir() / "vocadito").is_dir(),
        reason=f"no vocadito eval data at {eval_dir()} (set EXPERT_MUSIC_EVAL_DIR)",
    ),
]


@pytest.mark.parametrize("clip", sorted({clip for clip, _ in FLOORS}))
def test_swift_note_f1_stays_above_the_floor(clip):
    scores = score_clip(clip, "swift")

    for annotator in ("A1", "A2"):
        assert scores[annotator].f1 >= FLOORS[(clip, annotator)], (
            clip,
            annotator,
            scores[annotator],
        )
