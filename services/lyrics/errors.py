"""Errors the lyrics service reports to its callers."""

from __future__ import annotations


class LyricsInputError(ValueError):
    """The request cannot be served as asked (the caller must change it).

    The message is written for a person, e.g. "rhyme scheme 'AB1' may only contain
    letters A-Z (or be 'none')"; the gRPC server maps this to INVALID_ARGUMENT.
    """
