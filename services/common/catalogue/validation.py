"""Checks on names, ids and free text that reach the registry from callers.

Names and ids end up in artifact keys (``datasets/<id>/``) and in model names on
Replicate, so they are restricted to a small alphabet: no path separators, no dots, no
quotes. SQL injection is prevented separately (every query is parameterized); these checks
keep the stored data tidy and the messages clear.
"""

from __future__ import annotations

import re
import secrets

from services.common.errors import InvalidInputError

MAX_NAME_LENGTH = 64
MAX_TEXT_LENGTH = 1000
_NAME = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{MAX_NAME_LENGTH - 1}}}")
_ID = re.compile(r"[a-z]{2,4}_[a-z0-9_]{1,40}")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

#: Id prefixes per kind of record.
MODEL_ID_PREFIX = "mdl"
DATASET_ID_PREFIX = "ds"
JOB_ID_PREFIX = "job"


def new_id(prefix: str) -> str:
    """A fresh random id such as ``job_3f9a1c2b7d4e6f80`` (64 random bits)."""
    return f"{prefix}_{secrets.token_hex(8)}"


def validate_name(name: str, what: str = "name") -> str:
    """A model or dataset name: 1-64 of a-z, 0-9, '_' and '-', starting with a letter or
    digit (e.g. ``telecaster``, ``metro_drums``)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInputError(
            f"invalid {what} {name!r}: use 1-{MAX_NAME_LENGTH} lowercase letters, digits, "
            "'_' or '-', starting with a letter or digit"
        )
    return name


def validate_id(record_id: str, prefix: str, what: str) -> str:
    """An id made by :func:`new_id` with the given prefix (seeded ids follow the same form)."""
    if (
        not isinstance(record_id, str)
        or not _ID.fullmatch(record_id)
        or not record_id.startswith(f"{prefix}_")
    ):
        raise InvalidInputError(f"invalid {what} id {record_id!r}: expected '{prefix}_...'")
    return record_id


def validate_text(text: str, what: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Free text (captions, descriptions): stripped, bounded, without control characters
    other than tab and newline."""
    text = text.strip()
    if len(text) > max_length:
        raise InvalidInputError(f"the {what} is {len(text)} characters; the limit is {max_length}")
    if _CONTROL_CHARACTERS.search(text):
        raise InvalidInputError(f"the {what} contains control characters")
    return text
