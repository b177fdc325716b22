"""LLM providers through their official SDKs: Anthropic (Claude) and OpenAI.

``OPENAI_BASE_URL`` points the OpenAI client at any OpenAI-compatible server
(llama.cpp, vLLM, Ollama), which is how a user runs a local LLM. The SDKs' own retries
are switched off (``max_retries=0``): retries follow the mesh's one policy
(``services.common.retry``), applied by the writer. SDK errors become
:class:`ProviderCallError`, which says whether retrying may help.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import anthropic
import openai

from services.common.settings import Settings
from services.lyrics.prompting import ChatMessage

#: Enough for ~100 lines of JSON; a longer answer is cut and then repaired locally.
MAX_OUTPUT_TOKENS = 4096
#: Some variety between calls, while staying close to the asked-for counts (OpenAI; the
#: current Claude models take no temperature).
TEMPERATURE = 0.8


class ProviderCallError(Exception):
    """One call to a provider failed.

    retryable: a timeout, a dropped connection, HTTP 408/409/429 or 5xx (529 included):
        worth another try after a wait.
    retry_after_s: the wait the server asked for (Retry-After), in seconds, if any.
    """

    def __init__(
        self, provider: str, message: str, *, retryable: bool, retry_after_s: float | None = None
    ) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.message = message
        self.retryable = retryable
        self.retry_after_s = retry_after_s


class LLMProvider(Protocol):
    """Anything that can continue a conversation with a system prompt."""

    name: str
    model: str

    def complete(self, system: str, messages: Sequence[ChatMessage]) -> str:
        """The model's text answer; raises ProviderCallError."""
        ...


class AnthropicProvider:
    """Claude through the ``anthropic`` SDK (Messages API)."""

    name = "anthropic"

    def __init__(self, settings: Settings, *, timeout_s: float) -> None:
        self.model = settings.anthropic_model
        self._client = anthropic.Anthropic(
            api_key=settings.anthropic_api_key,
            base_url=settings.anthropic_base_url or None,
            max_retries=0,
            timeout=timeout_s,
        )

    def complete(self, system: str, messages: Sequence[ChatMessage]) -> str:
        try:
            response = self._client.messages.create(
                model=self.model,
                max_tokens=MAX_OUTPUT_TOKENS,
                system=system,
                # Our roles are "user" and "assistant"; the SDK types them as TypedDicts.
                messages=[{"role": m.role, "content": m.content} for m in messages],  # type: ignore[misc]
            )
        except anthropic.APIError as error:
            raise _call_error(self.name, error) from error
        return "".join(
            block.text for block in response.content if isinstance(block, anthropic.types.TextBlock)
        )


class OpenAIProvider:
    """GPT (or any OpenAI-compatible server) through the ``openai`` SDK (Chat Completions)."""

    name = "openai"

    def __init__(self, settings: Settings, *, timeout_s: float) -> None:
        self.model = settings.openai_model
        self._client = openai.OpenAI(
            # Local OpenAI-compatible servers ignore the key, but the SDK requires one.
            api_key=settings.openai_api_key or "unused",
            base_url=settings.openai_base_url or None,
            max_retries=0,
            timeout=timeout_s,
        )

    def complete(self, system: str, messages: Sequence[ChatMessage]) -> str:
        conversation = [{"role": "system", "content": system}] + [
            {"role": m.role, "content": m.content} for m in messages
        ]
        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=conversation,  # type: ignore[arg-type]  # plain role/content dicts
                temperature=TEMPERATURE,
                max_tokens=MAX_OUTPUT_TOKENS,
            )
        except openai.APIError as error:
            raise _call_error(self.name, error) from error
        if not response.choices:
            raise ProviderCallError(self.name, "the answer had no choices", retryable=True)
        return response.choices[0].message.content or ""


def _call_error(provider: str, error: Exception) -> ProviderCallError:
    """Our view of an SDK error: what happened in words, and whether to retry."""
    if isinstance(error, anthropic.APITimeoutError | openai.APITimeoutError):
        return ProviderCallError(provider, "timed out", retryable=True)
    if isinstance(error, anthropic.APIConnectionError | openai.APIConnectionError):
        return ProviderCallError(provider, "could not be reached", retryable=True)
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        retryable = status in (408, 409, 429) or status >= 500
        reason = {401: "rejected the API key", 403: "refused access", 429: "rate limited"}
        message = f"{reason.get(status, 'failed')} (HTTP {status})"
        return ProviderCallError(
            provider, message, retryable=retryable, retry_after_s=_retry_after_s(error)
        )
    return ProviderCallError(provider, f"gave an unusable answer: {error}", retryable=False)


def _retry_after_s(error: Exception) -> float | None:
    response = getattr(error, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from these APIs; our own backoff applies
