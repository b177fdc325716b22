"""The lyrics service's entry point: ``write_lyrics(request, settings) -> Lyrics``.

1. Check the request (English only, sizes within limits, a valid rhyme scheme).
2. Plan the syllables: one line per phrase, one syllable per note.
   Lyrics the user wrote are sung as written (see ``user_lyrics.py``): no provider
   sees or rewrites them, and steps 3 and 4 are skipped.
3. Ask the chosen provider. ``auto`` tries Claude if its key is set, then OpenAI, then
   the local lyricist. A provider that times out, is rate limited or fails with a 5xx
   is retried with backoff (``services.common.retry``), then the next one is used.
4. Fit: count the lines, re-ask the LLM once with the exact mismatches, repair the
   rest locally (see fit.py). The answer always fits its notes.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Sequence

from services.common.cancellation import WorkCancelledError, raise_if_cancelled
from services.common.retry import ProviderUnavailableError, RetryPolicy, call_with_retries
from services.common.settings import Settings, get_settings
from services.lyrics.domain import LyricLine, Lyrics, LyricsFit, LyricsRequest, Provider
from services.lyrics.errors import LyricsInputError
from services.lyrics.fit import FitResult, Mismatch, fit_lines
from services.lyrics.health import TRACKER, HealthTracker, ProviderState, ProviderStatus
from services.lyrics.local import LocalLyricist, spellings_of
from services.lyrics.plan import SyllablePlan, plan_from_counts, plan_from_melody
from services.lyrics.prompting import (
    SYSTEM_PROMPT,
    ChatMessage,
    lyrics_prompt,
    parse_lines,
    repair_prompt,
)
from services.lyrics.providers import (
    AnthropicProvider,
    LLMProvider,
    OpenAIProvider,
    ProviderCallError,
)
from services.lyrics.rhyme import count_rhymes, normalize_scheme, rhyme_labels
from services.lyrics.spelling import respelled, theme_spellings, with_capitals
from services.lyrics.text import read_user_lyrics, words_of
from services.lyrics.user_lyrics import fit_user_lyrics
from services.lyrics.vocabulary import build_vocabulary, theme_content_words

__all__ = [
    "LyricLine",
    "Lyrics",
    "LyricsFit",
    "LyricsInputError",
    "LyricsRequest",
    "ProviderStatus",
    "check_request",
    "provider_health",
    "write_lyrics",
]

log = logging.getLogger(__name__)

_ENGLISH = frozenset({"", "en", "eng", "english"})
#: The provider named in lyrics that the user wrote.
USER_PROVIDER = "user"


def write_lyrics(
    request: LyricsRequest,
    settings: Settings | None = None,
    *,
    tracker: HealthTracker = TRACKER,
    sleep: Callable[[float], None] = time.sleep,
    cancelled: threading.Event | None = None,
) -> Lyrics:
    """Words for every note of the request's melody (or syllable plan).

    Raises LyricsInputError when the request cannot be served as asked. Never fails
    because an LLM did: the local lyricist writes instead, and a warning says so.
    ``cancelled`` (set when the caller no longer waits) stops the work before each
    provider is asked and during the waits between retries (WorkCancelledError).
    """
    settings = settings or get_settings()
    if cancelled is not None:
        sleep = _waiting_on(cancelled)
    _check(request, settings)
    plan = _plan(request, settings)
    labels = rhyme_labels(
        request.rhyme_scheme or settings.lyrics_default_rhyme_scheme, len(plan.lines)
    )
    seed = request.seed if request.seed is not None else secrets.randbits(32)
    chain = _llm_chain(request.provider or settings.lyrics_default_provider, settings)
    if request.user_lyrics.strip():
        return _sing_user_lyrics(request, plan, labels, seed, chain)
    rhyme_with, avoided_ends = _local_only_options(request, chain)
    lyricist = LocalLyricist(
        build_vocabulary(request.theme, request.mood, request.genre), _draws(seed, request)
    )
    deadline_s = time.monotonic() + settings.lyrics_timeout_s
    warnings: list[str] = []
    for provider in chain:
        raise_if_cancelled(cancelled, f"writing lyrics with {provider.name}")
        try:
            result = _write_with_llm(
                provider, request, plan, labels, lyricist, settings, sleep, deadline_s, warnings
            )
        except ProviderUnavailableError as error:
            tracker.record_failure(error.provider, error.message)
            log.warning("lyrics provider unavailable: %s", error)
            warnings.append(f"{error.provider} was unavailable ({error.message})")
            continue
        tracker.record_success(provider.name)
        return _lyrics(result, plan, provider.name, provider.model, seed, warnings)
    raise_if_cancelled(cancelled, "writing lyrics")
    if warnings:
        warnings.append("the local lyricist wrote these words instead")
    # The lexicon spells the American way; a theme's "harbour" stays "harbour".
    spellings = theme_spellings(request.theme)
    raw_lines = [
        with_capitals(respelled(line.text, spellings))
        for line in lyricist.write(plan, labels, rhyme_with=rhyme_with, avoid_ends=avoided_ends)
    ]
    result = fit_lines(raw_lines, plan, labels, lyricist)
    warnings.extend(_unsung_theme(request.theme, [line.text for line in result.lines]))
    return _lyrics(result, plan, Provider.LOCAL.value, "", seed, warnings)


def _unsung_theme(theme: str, lines: Sequence[str]) -> list[str]:
    """A warning when the local lyricist sang no word of a theme it was given: it had
    none it could sing ("東京の夜", "2024"), or no line could hold one on these notes."""
    if not theme.strip():
        return []
    theme_words = sorted({word.text.lower() for word in theme_content_words(theme)})
    if not theme_words:
        return [
            f"the local lyricist knows no word of the theme {theme!r} it can sing (it "
            "sings English words): the lines are not about it"
        ]
    sung = {form for line in lines for word in words_of(line) for form in spellings_of(word)}
    # A theme word is sung in any of its forms ("train": "trains"; "dance": "dancing").
    stems = [word[:-1] if word.endswith("e") and len(word) > 3 else word for word in theme_words]
    if not any(form.startswith(stem) for form in sung for stem in stems):
        return [
            f"no line could sing a word of the theme ({', '.join(theme_words)}) on these "
            "notes: the lines are not about it"
        ]
    return []


#: The longest ``rhyme_with`` taken, in characters (a word, or a line whose last word
#: is meant).
MAX_RHYME_WITH_CHARS = 100


def _rhyme_word(text: str, field: str = "rhyme_with") -> str:
    """The last word of ``text`` as it is said ("rain," -> "rain", "the sea" -> "sea",
    "2 9" -> "nine"), lower case; "" for none.

    Raises LyricsInputError for text over MAX_RHYME_WITH_CHARS characters (naming
    ``field``).
    """
    if len(text) > MAX_RHYME_WITH_CHARS:
        raise LyricsInputError(
            f"{field} has {len(text)} characters; it is a word (at most "
            f"{MAX_RHYME_WITH_CHARS} characters)"
        )
    words = words_of(text)
    return words[-1].lower() if words else ""


#: The most ``avoid_end_words`` taken (a song's other lines' ends).
MAX_AVOIDED_ENDS = 512


def _avoided_ends(words: Sequence[str]) -> frozenset[str]:
    """The words no line may end on, each as said (see :func:`_rhyme_word`).

    Raises LyricsInputError for more than MAX_AVOIDED_ENDS of them, or one too long.
    """
    if len(words) > MAX_AVOIDED_ENDS:
        raise LyricsInputError(
            f"avoid_end_words has {len(words)} words; at most {MAX_AVOIDED_ENDS} are taken"
        )
    return frozenset(filter(None, (_rhyme_word(word, "avoid_end_words") for word in words)))


def _draws(seed: int, request: LyricsRequest) -> random.Random:
    """The local lyricist's random source: the seed, with the theme, mood and genre
    mixed in, so that a melancholy ballad and a cheerful pop song on one seed draw
    differently (their words differ by the vocabulary too), and so do two themes whose
    words the lexicon lacks ("chess" and "a job interview" sang the same song). A string
    seed is hashed with SHA-512, the same in every process, whatever PYTHONHASHSEED."""
    style = " ".join(f"{request.theme}|{request.mood}|{request.genre}".lower().split())
    return random.Random(f"{seed}|{style}")


def _waiting_on(cancelled: threading.Event) -> Callable[[float], None]:
    """A sleep between retries that ends, raising WorkCancelledError, once ``cancelled`` is set."""

    def wait(seconds: float) -> None:
        if cancelled.wait(seconds):
            raise WorkCancelledError("stopped writing lyrics: the caller cancelled")

    return wait


def _sing_user_lyrics(
    request: LyricsRequest,
    plan: SyllablePlan,
    labels: Sequence[str],
    seed: int,
    chain: Sequence[LLMProvider],
) -> Lyrics:
    """The user's words on the plan, as written (see ``user_lyrics.py``)."""
    text = read_user_lyrics(request.user_lyrics)
    lines, fit_warnings = fit_user_lyrics(text, plan, labels)
    warnings = [*text.warnings, *fit_warnings]
    if chain:
        names = " or ".join(provider.name for provider in chain)
        warnings.append(f"the words are the user's, sung as written: {names} was not asked")
    result = FitResult(lines, True, 1.0, 0, 0)
    return _lyrics(result, plan, USER_PROVIDER, "", seed, warnings)


def provider_health(
    settings: Settings | None = None, *, tracker: HealthTracker = TRACKER
) -> dict[str, ProviderStatus]:
    """Each provider's state for /health: configured, not_configured or degraded."""
    settings = settings or get_settings()
    statuses = {Provider.LOCAL.value: ProviderStatus(ProviderState.CONFIGURED)}
    for name, configured in (
        (Provider.ANTHROPIC.value, _anthropic_configured(settings)),
        (Provider.OPENAI.value, _openai_configured(settings)),
    ):
        failure = tracker.recent_failure(name, settings.lyrics_degraded_window_s)
        if not configured:
            statuses[name] = ProviderStatus(ProviderState.NOT_CONFIGURED)
        elif failure is not None:
            statuses[name] = ProviderStatus(ProviderState.DEGRADED, failure)
        else:
            statuses[name] = ProviderStatus(ProviderState.CONFIGURED)
    return statuses


def _anthropic_configured(settings: Settings) -> bool:
    return bool(settings.anthropic_api_key)


def _openai_configured(settings: Settings) -> bool:
    # A local OpenAI-compatible server (llama.cpp, Ollama) usually needs no key.
    return bool(settings.openai_api_key or settings.openai_base_url)


def _llm_chain(requested: str, settings: Settings) -> list[LLMProvider]:
    """The LLM providers to try in order (the local lyricist always comes after them)."""
    name = requested.strip().lower()
    try:
        provider = Provider(name)
    except ValueError:
        choices = ", ".join(p.value for p in Provider)
        raise LyricsInputError(f"unknown provider {requested!r}; choose one of {choices}") from None
    timeout_s = min(settings.lyrics_llm_call_timeout_s, settings.lyrics_timeout_s)
    chain: list[LLMProvider] = []
    if provider is Provider.ANTHROPIC and not _anthropic_configured(settings):
        raise LyricsInputError("provider 'anthropic' is not configured: set ANTHROPIC_API_KEY")
    if provider is Provider.OPENAI and not _openai_configured(settings):
        raise LyricsInputError(
            "provider 'openai' is not configured: set OPENAI_API_KEY (or OPENAI_BASE_URL "
            "for an OpenAI-compatible server)"
        )
    if provider in (Provider.ANTHROPIC, Provider.AUTO) and _anthropic_configured(settings):
        chain.append(AnthropicProvider(settings, timeout_s=timeout_s))
    if provider in (Provider.OPENAI, Provider.AUTO) and _openai_configured(settings):
        chain.append(OpenAIProvider(settings, timeout_s=timeout_s))
    return chain


def _write_with_llm(
    provider: LLMProvider,
    request: LyricsRequest,
    plan: SyllablePlan,
    labels: Sequence[str],
    lyricist: LocalLyricist,
    settings: Settings,
    sleep: Callable[[float], None],
    deadline_s: float,
    warnings: list[str],
) -> FitResult:
    policy = RetryPolicy(
        attempts=settings.lyrics_retry_attempts,
        base_delay_s=settings.lyrics_retry_base_delay_s,
        max_delay_s=settings.lyrics_retry_max_delay_s,
    )

    def ask(messages: list[ChatMessage]) -> str:
        return _call(provider, messages, policy, sleep, deadline_s)

    first = [
        ChatMessage(
            "user",
            lyrics_prompt(
                plan,
                labels,
                theme=request.theme,
                mood=request.mood,
                genre=request.genre,
            ),
        )
    ]
    answer = ask(first)

    def reask(lines: Sequence[str], missed: Sequence[Mismatch]) -> list[str] | None:
        follow_up = [
            *first,
            ChatMessage("assistant", answer),
            ChatMessage("user", repair_prompt(missed, len(plan.lines))),
        ]
        try:
            return parse_lines(ask(follow_up))
        except ProviderUnavailableError as error:
            # The first answer is still usable: repair it locally.
            warnings.append(f"{error.provider} could not fix its line lengths ({error.message})")
            return None

    return fit_lines(parse_lines(answer), plan, labels, lyricist, reask=reask)


def _call(
    provider: LLMProvider,
    messages: Sequence[ChatMessage],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    deadline_s: float,
) -> str:
    """The provider's answer, retried per ``policy``; ProviderUnavailableError if none."""

    def once() -> str:
        if time.monotonic() >= deadline_s:
            raise ProviderUnavailableError(provider.name, "the request ran out of time")
        return provider.complete(SYSTEM_PROMPT, messages)

    def on_retry(retry: int, error: BaseException, delay_s: float) -> None:
        log.info("retry %d of %s in %.2f s after: %s", retry, provider.name, delay_s, error)

    try:
        return call_with_retries(
            once,
            policy=policy,
            is_retryable=lambda error: isinstance(error, ProviderCallError) and error.retryable,
            sleep=sleep,
            on_retry=on_retry,
        )
    except ProviderCallError as error:
        attempts = f" after {policy.attempts} attempts" if error.retryable else ""
        raise ProviderUnavailableError(provider.name, error.message + attempts) from error


def check_request(request: LyricsRequest, settings: Settings | None = None) -> None:
    """Raises LyricsInputError for whatever ``write_lyrics`` would refuse without looking
    at the notes: the language, sizes, rhyme scheme, provider (unknown or not
    configured), options only the local lyricist takes, and the user's words as text
    (characters that cannot be sung). The notes may be missing."""
    settings = settings or get_settings()
    _check(request, settings)
    chain = _llm_chain(request.provider or settings.lyrics_default_provider, settings)
    if request.user_lyrics.strip():
        read_user_lyrics(request.user_lyrics)
    else:
        _local_only_options(request, chain)


def _local_only_options(
    request: LyricsRequest, chain: Sequence[LLMProvider]
) -> tuple[str, frozenset[str]]:
    """The options only the local lyricist takes, read: (``rhyme_with``, the words no
    line may end on, each as said). Raises LyricsInputError for one given with an LLM
    provider (or not readable: see ``_rhyme_word``, ``_avoided_ends``)."""
    rhyme_with = _rhyme_word(request.rhyme_with)
    avoided_ends = _avoided_ends(request.avoid_end_words)
    for name, given in (("rhyme_with", rhyme_with), ("avoid_end_words", avoided_ends)):
        if given and chain:
            raise LyricsInputError(
                f"{name} is taken by the local lyricist only: ask for provider 'local'"
            )
    return rhyme_with, avoided_ends


def _check(request: LyricsRequest, settings: Settings) -> None:
    if request.language.strip().lower().split("-")[0].split("_")[0] not in _ENGLISH:
        raise LyricsInputError(
            f"only English lyrics can be written so far; language {request.language!r} "
            "is not supported"
        )
    if request.melody is not None and request.syllables_per_line:
        raise LyricsInputError("give either a melody or syllables per line, not both")
    if len(request.theme) > settings.lyrics_max_theme_chars:
        raise LyricsInputError(
            f"the theme has {len(request.theme)} characters; at most "
            f"{settings.lyrics_max_theme_chars} are allowed"
        )
    for name, value in (("mood", request.mood), ("genre", request.genre)):
        if len(value) > settings.lyrics_max_style_chars:
            raise LyricsInputError(
                f"the {name} may have at most {settings.lyrics_max_style_chars} characters"
            )
    if len(request.user_lyrics) > settings.lyrics_max_user_lyrics_chars:
        raise LyricsInputError(
            f"the lyrics to fit may have at most {settings.lyrics_max_user_lyrics_chars} characters"
        )
    normalize_scheme(request.rhyme_scheme or settings.lyrics_default_rhyme_scheme)


def _plan(request: LyricsRequest, settings: Settings) -> SyllablePlan:
    if request.melody is not None:
        return plan_from_melody(request.melody, max_notes=settings.lyrics_max_notes)
    return plan_from_counts(request.syllables_per_line, max_syllables=settings.lyrics_max_notes)


def _lyrics(
    result: FitResult,
    plan: SyllablePlan,
    provider: str,
    model: str,
    seed: int,
    warnings: Sequence[str],
) -> Lyrics:
    lines = result.lines
    # A melisma covers several notes: a line fits when its syllables cover every note.
    matched = sum(
        sum(syllable.note_count for syllable in line.syllables) == planned.syllable_count
        for line, planned in zip(lines, plan.lines, strict=True)
    )
    strong_total = strong_stressed = 0
    for line, planned in zip(lines, plan.lines, strict=True):
        strong_notes = dict(zip(planned.note_indices, planned.strong, strict=True))
        for syllable in line.syllables:
            strong = strong_notes[syllable.note_index]
            strong_total += strong
            strong_stressed += strong and syllable.stressed
    end_words = [(words_of(line.text) or [""])[-1] for line in lines]
    requested, achieved = count_rhymes(end_words, [line.rhyme_label for line in lines])
    fit = LyricsFit(
        syllable_match_rate=matched / len(lines),
        raw_syllable_match_rate=result.raw_match_rate,
        raw_llm_fit=result.raw_fit,
        rhymes_requested=requested,
        rhymes_achieved=achieved,
        stress_on_strong_rate=strong_stressed / strong_total if strong_total else 1.0,
        llm_repair_requests=result.llm_repair_requests,
        locally_repaired_lines=result.locally_repaired_lines,
    )
    return Lyrics(lines, provider, fit, model=model, seed=seed, warnings=tuple(warnings))


def warm_up(settings: Settings) -> None:
    """Writes one short song with the local lyricist: loads the pronouncing dictionary,
    the word bank and the grammar's tables (0.7 s on a first call, 2026-12-01), so that a
    service's first call is as fast as the next. No provider but the local one is asked."""
    write_lyrics(
        LyricsRequest(
            syllables_per_line=(6, 6), theme="morning light", seed=0, provider=Provider.LOCAL.value
        ),
        settings,
    )
