"""Shared fixtures: fake LLM servers and settings that point the real SDKs at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_llm import FakeLLMServer


@pytest.fixture
def claude() -> Iterator[FakeLLMServer]:
    with FakeLLMServer("anthropic", model="claude-test") as server:
        yield server


@pytest.fixture
def gpt() -> Iterator[FakeLLMServer]:
    with FakeLLMServer("openai", model="gpt-test") as server:
        yield server
