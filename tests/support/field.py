"""The field inputs in ``../shared/field``: real-world faults and what a correct service answers.

Tests that use them skip when the folder is absent (a clone on its own); CI has it. Set
EXPERT_MUSIC_FIELD_DIR to use another copy.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def field_dir() -> Path:
    """$EXPERT_MUSIC_FIELD_DIR, or shared/field next to the repository."""
    override = os.environ.get("EXPERT_MUSIC_FIELD_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared" / "field"


def field_file(name: str) -> bytes:
    """The bytes of a field input; skips the calling test when it is not there."""
    path = field_dir() / name
    if not path.is_file():
        pytest.skip(f"no field input {path} (set EXPERT_MUSIC_FIELD_DIR)")
    return path.read_bytes()
