"""Melody-to-vocals and take revision: pitch -> lyrics -> synth over gRPC, then the take is
stored.

Each job yields the events a client sees (progress, melody, lyrics, audio chunks, the
stored take) as soon as each is ready, so the first audio plays before the render ends.
Each stage gets the smaller of its own timeout and what is left of the caller's deadline,
or, when the caller chose how long the job may take (``VocalsOptions.timeout_s``), what is
left of that; a stage that fails is named in the error. Before each call the job waits
for the stage's service to be reachable, at most ``STUDIO_RESTART_WAIT_S``, and the
call itself never waits for a connection: a service that restarts costs a take a few
seconds, one that stays down fails it with UNAVAILABLE naming the service, rather than
letting it wait out the stage's whole timeout; DEADLINE_EXCEEDED means the service had
the request and did not finish. A caller
that goes away (``cancelled``) stops the job: the call in flight is cancelled, so the
stage's service stops its work too, and nothing later starts.

A new take runs every step: transcribe, write, sing, store. A revision of a take runs
only what its edits need (see ``services.studio.revision``): no transcription, words
fitted only on the lines whose words or notes changed, and the synth sings again only
the phrases that differ (it keeps the phrases it sang recently).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import grpc
from expertmusic.lyrics.v1 import lyrics_pb2, lyrics_pb2_grpc
from expertmusic.music.v1 import music_pb2
from expertmusic.pitch.v1 import pitch_pb2, pitch_pb2_grpc
from expertmusic.studio.v1 import studio_pb2
from expertmusic.synth.v1 import synth_pb2, synth_pb2_grpc
from prometheus_client import Histogram

from services.common.cancellation import OverloadedError, WorkCancelledError, raise_if_cancelled
from services.common.convert import (
    lyrics_from_proto,
    lyrics_to_proto,
    melody_from_proto,
    melody_to_proto,
)
from services.common.errors import InvalidInputError, PreconditionError, UnavailableError
from services.common.music import LyricLine, Lyrics, Melody
from services.common.settings import Settings
from services.studio.revision import (
    USER_PROVIDER,
    WordsPlan,
    assembled_lyrics,
    at_tempo,
    checked_lyrics,
    checked_melody,
    line_on_phrase,
    phrase_melody,
    plan_words,
    same_song,
)
from services.studio.takes import TakeStore, new_take_id
from services.studio.voice_check import VoiceList, check_transpose, check_voice

log = logging.getLogger(__name__)

UPLOAD_CHUNK_BYTES = 256 * 1024
STAGE_SECONDS = Histogram(
    "studio_stage_seconds",
    "Time each stage of a finished take took (pitch, lyrics, synth, store, total), in s.",
    ["stage"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
# Where each stage starts and ends on the 0..1 progress scale (synth dominates the time).
STAGE_SPAN = {
    "pitch": (0.02, 0.15),
    "lyrics": (0.15, 0.30),
    "synth": (0.30, 0.95),
    "store": (0.95, 1.0),
}
#: How often a stage in flight looks whether its caller went away, in seconds.
_CANCEL_CHECK_S = 0.05
#: How long the studio waits for the synth's voice list, or the lyrics service's check of
#: the options, before letting them check the take themselves later.
VOICE_LIST_TIMEOUT_S = 2.0
OPTIONS_CHECK_TIMEOUT_S = 2.0

Events = Iterator[studio_pb2.MelodyToVocalsResponse]
TimeRemaining = Callable[[], float | None]


@dataclass(frozen=True)
class StageStubs:
    """The stages' stubs, and ``ready(stage)``: a future that completes once the stage's
    channel is connected (``grpc.channel_ready_future``)."""

    pitch: pitch_pb2_grpc.PitchServiceStub
    lyrics: lyrics_pb2_grpc.LyricsServiceStub
    synth: synth_pb2_grpc.SynthServiceStub
    ready: Callable[[str], grpc.Future]


@dataclass
class _Job:
    """What one job has found so far, and how long each stage took.

    ``budget_s``: how long the caller allowed the whole job (``VocalsOptions.timeout_s``),
    None to keep each stage's own timeout.
    """

    time_remaining_s: TimeRemaining
    cancelled: threading.Event
    budget_s: float | None = None
    started: float = field(default_factory=time.perf_counter)
    timings_s: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def stage_timeout_s(self, stage: str, own_timeout_s: float) -> float:
        """Seconds the stage may take: its own limit, or what is left of the job's budget,
        never beyond the caller's deadline (a result equal to ``own_timeout_s`` means the
        stage's own limit is what bounds it).

        Raises:
            WorkCancelledError: The caller went away.
            TimeoutError: No time is left.
        """
        raise_if_cancelled(self.cancelled, f"before the {stage} stage")
        if self.budget_s is None:
            timeout_s = own_timeout_s
        else:
            timeout_s = self.budget_s - (time.perf_counter() - self.started)
        remaining_s = self.time_remaining_s()
        if remaining_s is not None:
            timeout_s = min(timeout_s, remaining_s)
        if timeout_s <= 0:
            raise TimeoutError(f"no time was left for the {stage} stage")
        return timeout_s

    def timed(self, stage: str, since: float) -> None:
        self.timings_s[stage] = self.timings_s.get(stage, 0.0) + time.perf_counter() - since


@dataclass
class _Sung:
    """The synth's answer: the whole audio file and its summary."""

    wav: bytearray = field(default_factory=bytearray)
    summary: synth_pb2.SingSummary = field(default_factory=synth_pb2.SingSummary)


def progress(stage: str, fraction_of_stage: float) -> studio_pb2.MelodyToVocalsResponse:
    start, end = STAGE_SPAN[stage]
    fraction = start + (end - start) * min(max(fraction_of_stage, 0.0), 1.0)
    return studio_pb2.MelodyToVocalsResponse(
        progress=studio_pb2.Progress(stage=stage, fraction=round(fraction, 4))
    )


def _lyrics_request(
    melody: music_pb2.Melody | None, options: studio_pb2.VocalsOptions
) -> lyrics_pb2.WriteLyricsRequest:
    """New words for ``melody`` (None: no notes, for a check) as a take's options ask
    for them (theme, mood, genre, rhyme scheme, provider)."""
    return lyrics_pb2.WriteLyricsRequest(
        melody=melody,
        theme=options.theme,
        mood=options.mood,
        genre=options.genre,
        rhyme_scheme=options.rhyme_scheme,
        provider=options.lyrics_provider,
        language="en",
    )


class VocalsPipeline:
    def __init__(self, stubs: StageStubs, takes: TakeStore, settings: Settings) -> None:
        self._stubs = stubs
        self._takes = takes
        self._settings = settings
        self._voices = VoiceList(
            lambda: (
                stubs.synth.ListVoices(
                    synth_pb2.ListVoicesRequest(), timeout=VOICE_LIST_TIMEOUT_S
                ).voices
            )
        )

    def run(
        self,
        audio: bytes,
        options: studio_pb2.VocalsOptions,
        time_remaining_s: TimeRemaining,
        owner: str = "",
        cancelled: threading.Event | None = None,
    ) -> Events:
        """A new take from a recording: yields the job's events; the last carries the take.

        ``owner``: the client the take belongs to (services.common.callers);
        ``cancelled``: set when the caller leaves, which stops the job.

        Raises (before the first event): InvalidInputError for a ``timeout_s`` that is
        negative or beyond the gateway's route timeout, or a voice or synth engine the
        synth does not have.
        """
        job = _Job(
            time_remaining_s,
            cancelled or threading.Event(),
            budget_s=self._budget_s(options.timeout_s),
        )
        # Nothing is sent before the melody: a bad upload or option still fails with a
        # plain status (HTTP 400) instead of ending a stream that has already begun.
        self._check_voice(options.synth_engine, options.voice)
        check_transpose(options.transpose_semitones)
        self._check_words(options)
        melody = self._transcribe(job, audio, options.pitch_engine)
        # What the recording itself told (very quiet, cut short, channels that cancel)
        # is the take's to show, as the lyrics' and the synth's warnings are.
        job.warnings.extend(melody.warnings)
        yield studio_pb2.MelodyToVocalsResponse(melody=melody)
        yield progress("pitch", 1.0)

        yield progress("lyrics", 0.0)
        lyrics = self._write(job, melody, options)
        yield studio_pb2.MelodyToVocalsResponse(lyrics=lyrics)

        sung = _Sung()
        yield from self._sing(
            job,
            sung,
            synth_pb2.SingRequest(
                melody=melody,
                lyrics=lyrics,
                voice_id=options.voice,
                engine=options.synth_engine,
                options=synth_pb2.SingOptions(transpose_semitones=options.transpose_semitones),
            ),
        )
        take = studio_pb2.Take(melody=melody, lyrics=lyrics, options=options, owner=owner)
        yield from self._store(job, take, sung, recording=audio)

    def revise(
        self,
        request: studio_pb2.ReviseTakeRequest,
        time_remaining_s: TimeRemaining,
        owner: str = "",
        cancelled: threading.Event | None = None,
    ) -> Events:
        """A new take from a stored one with the request's edits; the original is kept.

        Raises (before the first event): NotFoundError for an unknown take or one that is
        not ``owner``'s, InvalidInputError for a request that edits nothing or edits that
        cannot be sung (each names what is wrong).
        """
        if not (
            request.HasField("melody")
            or request.HasField("lyrics")
            or request.line_texts
            or request.options.ListFields()
        ):
            # Also what a misspelled field leaves ("line_txts"): the gateway drops JSON
            # fields the contract does not have, as the proto3 JSON mapping does.
            raise InvalidInputError(
                "the revision changes nothing: give the edited melody, lyrics, line_texts "
                "or options (voice, transpose_semitones, vibrato_depth_cents, tempo_scale)"
            )
        job = _Job(time_remaining_s, cancelled or threading.Event())
        parent = self._takes.load(request.take_id, owner=owner)
        if request.options.voice:
            self._check_voice(parent.options.synth_engine, request.options.voice)
        check_transpose(request.options.transpose_semitones)
        recording, _ = self._takes.recording(parent)
        old_melody = melody_from_proto(parent.melody)
        old_lyrics = lyrics_from_proto(parent.lyrics)

        new_melody: Melody | None = None
        if request.HasField("melody"):
            new_melody = checked_melody(
                melody_from_proto(request.melody),
                max_duration_s=self._settings.max_audio_duration_s,
                edited_from=old_melody,
            )
        melody = new_melody or old_melody
        edited_lyrics = None
        if request.HasField("lyrics"):
            edited_lyrics = checked_lyrics(lyrics_from_proto(request.lyrics), melody)
        plan = plan_words(
            old_melody,
            old_lyrics,
            new_melody,
            edited_lyrics=edited_lyrics,
            line_texts=dict(request.line_texts),
        )
        melody_message = melody_to_proto(melody) if new_melody is not None else parent.melody
        tempo_scale = request.options.tempo_scale
        if tempo_scale:
            # The take's notes become the notes as sung (its exports, and the revisions
            # after it, keep the new speed): 2 = twice as fast, the pitch unchanged.
            melody = at_tempo(
                melody, tempo_scale, max_duration_s=self._settings.max_audio_duration_s
            )
            melody_message = melody_to_proto(melody)
        # Words are fitted before the first event, so words that cannot be sung get a
        # plain status (HTTP 400) rather than an error event at the end of a stream.
        if plan.unchanged and edited_lyrics is None:
            lyrics = parent.lyrics
        else:
            lyrics = self._fit(job, melody, plan, parent)
        revision = request.options
        # "auto" on a take whose voice was chosen so already chooses it again, for the
        # same notes.
        same_voice = revision.voice in ("", parent.engines["voice"]) or (
            revision.voice == "auto" and parent.options.voice in ("", "auto")
        )
        sung_the_same = (
            same_voice
            and not (
                revision.HasField("transpose_semitones")
                and revision.transpose_semitones != parent.options.transpose_semitones
            )
            # The take does not keep the vibrato it was sung with: one asked for may differ.
            and not revision.HasField("vibrato_depth_cents")
        )
        if sung_the_same and same_song(old_melody, melody, old_lyrics, lyrics_from_proto(lyrics)):
            raise InvalidInputError(
                "the revision changes nothing: its melody, words and options are the take's "
                "own; change a note, a word or an option"
            )
        yield studio_pb2.MelodyToVocalsResponse(melody=melody_message)
        yield studio_pb2.MelodyToVocalsResponse(lyrics=lyrics)

        options = studio_pb2.VocalsOptions()
        options.CopyFrom(parent.options)
        sing_options = synth_pb2.SingOptions(
            range_policy=synth_pb2.RANGE_POLICY_KEEP,
            transpose_semitones=parent.applied_transpose_semitones,
        )
        # The voice that sang the parent (an "auto" take keeps the voice it was given).
        voice_id = parent.engines["voice"]
        voice_reason = f"voice {voice_id} kept from take {parent.take_id}"
        if revision.voice and revision.voice != parent.engines["voice"]:
            # A new voice (or "auto", chosen again) has its own range: fit the melody to
            # it, as for a new take.
            options.voice = revision.voice
            voice_id = revision.voice
            voice_reason = ""
            sing_options.range_policy = synth_pb2.RANGE_POLICY_UNSPECIFIED
            sing_options.transpose_semitones = options.transpose_semitones
        if revision.HasField("transpose_semitones"):
            # The take's fit to the voice stays; only the user's own shift changes.
            sing_options.transpose_semitones += (
                revision.transpose_semitones - options.transpose_semitones
            )
            options.transpose_semitones = revision.transpose_semitones
        if revision.HasField("vibrato_depth_cents"):
            sing_options.vibrato_depth_cents = revision.vibrato_depth_cents
        if plan.user_edited:
            options.user_lyrics = lyrics_from_proto(lyrics).text

        sung = _Sung()
        yield from self._sing(
            job,
            sung,
            synth_pb2.SingRequest(
                melody=melody_message,
                lyrics=lyrics,
                voice_id=voice_id,
                engine=options.synth_engine,
                options=sing_options,
            ),
        )
        if voice_reason:
            sung.summary.voice_reason = voice_reason
        take = studio_pb2.Take(
            melody=melody_message,
            lyrics=lyrics,
            options=options,
            parent_take_id=parent.take_id,
            owner=owner,
        )
        take.engines["pitch"] = parent.engines["pitch"]
        yield from self._store(job, take, sung, recording=recording)

    # ---- steps ----

    def _check_voice(self, engine: str, voice_id: str) -> None:
        """Raises InvalidInputError for a voice or engine the synth does not have (see
        voice_check.py); passes when the synth cannot be asked (it checks them itself)."""
        voices = self._voices.voices()
        if voices is not None:
            check_voice(voices, engine, voice_id)

    def _check_words(self, options: studio_pb2.VocalsOptions) -> None:
        """Raises InvalidInputError for options the lyrics service refuses without notes
        (rhyme scheme, provider, sizes, the user's words as text), asked with
        ``validate_only``; passes when it cannot be asked (it refuses them itself later)."""
        request = _lyrics_request(None, options)
        request.user_lyrics = options.user_lyrics
        request.validate_only = True
        try:
            self._stubs.lyrics.WriteLyrics(request, timeout=OPTIONS_CHECK_TIMEOUT_S)
        except grpc.RpcError as error:
            if error.code() is grpc.StatusCode.INVALID_ARGUMENT:
                details = error.details() or "the lyrics options were refused"
                raise InvalidInputError(details) from None
            log.info("lyrics options not checked up front: %s", error.code())

    def _transcribe(self, job: _Job, audio: bytes, pitch_engine: str) -> music_pb2.Melody:
        began = time.perf_counter()
        melody = self._call(
            job,
            "pitch",
            lambda timeout_s: self._stubs.pitch.ExtractMelody.future(
                _upload_messages(audio, pitch_engine), timeout=timeout_s, wait_for_ready=False
            ),
            self._settings.pitch_timeout_s,
        ).melody
        job.timed("pitch", began)
        if not melody.notes:
            # The pitch service's warnings say why (silent, very quiet, above what the
            # engine hears); its plain "no melody" one would only say it twice.
            reasons = [w for w in melody.warnings if not w.startswith("no sung or hummed")]
            reason = f" ({'; '.join(reasons)})" if reasons else ""
            raise PreconditionError(
                f"no melody was found in the audio{reason}: hum or sing a tune, close to "
                "the microphone, and try again"
            )
        return melody

    def _write(
        self, job: _Job, melody: music_pb2.Melody, options: studio_pb2.VocalsOptions
    ) -> music_pb2.Lyrics:
        began = time.perf_counter()
        request = _lyrics_request(melody, options)
        request.user_lyrics = options.user_lyrics
        if options.seed:
            request.seed = options.seed
        lyrics = self._write_lyrics(job, request)
        job.timed("lyrics", began)
        job.warnings.extend(lyrics.warnings)
        return lyrics

    def _fit(
        self, job: _Job, melody: Melody, plan: WordsPlan, parent: studio_pb2.Take
    ) -> music_pb2.Lyrics:
        """The revised take's words: kept lines as they are, the rest fitted as written.

        Words the lyricist wrote that no longer fit their notes (a note deleted or two
        merged, so a syllable has nowhere to go) are written again by the lyricist on the
        take's theme (a line rhyming with its group's kept line, see
        :meth:`_rewritten_line`), and a warning says so; the user's own words are never
        rewritten: they are refused, naming the line.
        """
        began = time.perf_counter()
        warnings: list[str] = []
        if plan.refit_all:
            try:
                fitted = lyrics_from_proto(self._fit_text(job, melody, plan.refit_all))
            except InvalidInputError as error:
                if not plan.refit_rewritable:
                    raise
                fitted = self._rewritten_song(job, melody, parent)
                warnings.append(
                    f"the lyricist wrote new words for the edited notes: the old ones did not "
                    f"fit them ({error})"
                )
            lines: dict[int, LyricLine] = {line.phrase_index: line for line in fitted.lines}
            warnings.extend(fitted.warnings)
        else:
            lines = dict(plan.kept)
            old_labels = plan.labels or {
                line.phrase_index: line.rhyme_label for line in parent.lyrics.lines
            }
            # Each replaced line is fitted alone, so the lyrics service calls it "the
            # line"; messages name it by its place in the take, counted from 1.
            phrases_in_order = sorted({*plan.kept, *plan.to_fit, *plan.added})
            for phrase_index, text in sorted(plan.to_fit.items()):
                line_name = f"line {phrases_in_order.index(phrase_index) + 1}"
                try:
                    fitted = lyrics_from_proto(
                        self._fit_text(job, phrase_melody(melody, phrase_index), text)
                    )
                except InvalidInputError as error:
                    if phrase_index not in plan.rewritable:
                        raise InvalidInputError(f"{line_name}: {error}") from None
                    lines[phrase_index] = self._rewritten_line(
                        job, melody, parent, phrase_index, old_labels.get(phrase_index, ""), lines
                    )
                    warnings.append(
                        f"{line_name}: the lyricist wrote new words for its edited notes: "
                        f"the old ones did not fit them ({_without_advice(str(error))})"
                    )
                    continue
                for line in fitted.lines:
                    # Fitted alone, the line has no rhyme group: it keeps its place's.
                    lines[phrase_index] = replace(
                        line_on_phrase(line, melody, phrase_index),
                        rhyme_label=old_labels.get(phrase_index, ""),
                    )
                warnings.extend(f"{line_name}: {w}" for w in fitted.warnings)
            for phrase_index in sorted(plan.added):
                lines[phrase_index] = self._rewritten_line(
                    job, melody, parent, phrase_index, "", lines
                )
                line_name = f"line {phrases_in_order.index(phrase_index) + 1}"
                warnings.append(f"{line_name}: the lyricist wrote words for the added notes")
        job.timed("lyrics", began)
        job.warnings.extend(warnings)
        old = lyrics_from_proto(parent.lyrics)
        return lyrics_to_proto(
            assembled_lyrics(
                lines,
                provider=USER_PROVIDER if plan.user_edited else old.provider,
                model="" if plan.user_edited else old.model,
                seed=old.seed,
                warnings=warnings,
            )
        )

    def _rewritten_song(self, job: _Job, melody: Melody, parent: studio_pb2.Take) -> Lyrics:
        """New words for the whole edited melody (its phrases changed in number): the
        take's own request (theme, mood, genre, rhyme scheme, provider, seed) again."""
        request = _lyrics_request(melody_to_proto(melody), parent.options)
        request.seed = parent.lyrics.seed
        return lyrics_from_proto(self._write_lyrics(job, request))

    def _rewritten_line(
        self,
        job: _Job,
        melody: Melody,
        parent: studio_pb2.Take,
        phrase_index: int,
        label: str,
        lines: Mapping[int, LyricLine],
    ) -> LyricLine:
        """New words for one phrase of the edited melody, on its note indices: a line of
        the local lyricist on the take's theme, mood and genre that rhymes with a line of
        ``lines`` (the take's lines so far, by phrase) in its rhyme group ``label``, when
        there is one."""
        partner = next(
            (
                line
                for index, line in sorted(lines.items())
                if label and index != phrase_index and line.rhyme_label == label
            ),
            None,
        )
        request = _lyrics_request(
            melody_to_proto(phrase_melody(melody, phrase_index)), parent.options
        )
        request.rhyme_scheme = ""  # one line
        request.provider = "local"  # the one that can answer a given rhyme
        request.seed = (parent.lyrics.seed + phrase_index) % 2**32
        # Each line's end as written: the lyricist takes its last word as it is said
        # ("... 2 9" -> "nine").
        if partner is not None:
            request.rhyme_with = " ".join(partner.text.split()[-3:])
        # Nor does the new line end where another line of the song does.
        # (The line it replaces may be among them: new words need not end as it did.)
        others = [
            *parent.lyrics.lines,
            *(line for index, line in lines.items() if index != phrase_index),
        ]
        request.avoid_end_words.extend(
            sorted({" ".join(line.text.split()[-3:]) for line in others})
        )
        written = lyrics_from_proto(self._write_lyrics(job, request))
        return replace(line_on_phrase(written.lines[0], melody, phrase_index), rhyme_label=label)

    def _fit_text(self, job: _Job, melody: Melody, text: str) -> Any:
        """``text`` sung as written on ``melody``'s notes (the local fitter, no LLM)."""
        return self._write_lyrics(
            job,
            lyrics_pb2.WriteLyricsRequest(
                melody=melody_to_proto(melody),
                user_lyrics=text,
                provider="local",
                language="en",
            ),
        )

    def _write_lyrics(self, job: _Job, request: lyrics_pb2.WriteLyricsRequest) -> Any:
        return self._call(
            job,
            "lyrics",
            lambda timeout_s: self._stubs.lyrics.WriteLyrics.future(
                request, timeout=timeout_s, wait_for_ready=False
            ),
            self._settings.lyrics_timeout_s,
        )

    def _sing(self, job: _Job, sung: _Sung, request: synth_pb2.SingRequest) -> Events:
        """Streams the synth's audio out as it comes, keeping the whole file in ``sung``."""
        yield progress("synth", 0.0)
        began = time.perf_counter()
        self._wait_until_reachable(job, "synth", self._settings.synth_timeout_s)
        own_timeout_s = self._settings.synth_timeout_s
        timeout_s = job.stage_timeout_s("synth", own_timeout_s)
        call = self._stubs.synth.Sing(request, timeout=timeout_s, wait_for_ready=False)
        try:
            for event in self._stream("synth", call, timeout_s, own_timeout_s, job):
                raise_if_cancelled(job.cancelled, "singing")
                kind = event.WhichOneof("event")
                if kind == "progress":
                    yield progress("synth", event.progress.fraction)
                elif kind == "audio" and event.audio.data:
                    sung.wav.extend(event.audio.data)
                    yield studio_pb2.MelodyToVocalsResponse(audio_chunk=event.audio.data)
                elif kind == "summary":
                    sung.summary = event.summary
        finally:
            _stop(call)
        job.timed("synth", began)
        job.warnings.extend(sung.summary.warnings)

    def _store(self, job: _Job, take: studio_pb2.Take, sung: _Sung, *, recording: bytes) -> Events:
        """Fills in the take's id, URLs, engines and timings, stores it with its files."""
        yield progress("store", 0.0)
        began = time.perf_counter()
        take_id = new_take_id()
        base_url = f"{self._settings.public_url}/v1/takes/{take_id}"
        take.take_id = take_id
        take.audio_url = f"{base_url}/audio"
        take.midi_url = f"{base_url}/midi"
        take.musicxml_url = f"{base_url}/musicxml"
        take.ustx_url = f"{base_url}/ustx"
        take.recording_url = f"{base_url}/recording"
        take.audio_duration_s = sung.summary.duration_s
        take.sample_rate_hz = sung.summary.sample_rate_hz
        take.applied_transpose_semitones = sung.summary.applied_transpose_semitones
        take.voice_choice = "; ".join(
            reason
            for reason in (sung.summary.voice_reason, sung.summary.transposition_reason)
            if reason
        )
        take.warnings.extend(job.warnings)
        if "pitch" not in take.engines:
            take.engines["pitch"] = take.melody.engine
        take.engines.update(
            {
                "lyrics": take.lyrics.provider,
                "synth": sung.summary.engine,
                "voice": sung.summary.voice_id,
            }
        )
        self._takes.save_recording(take_id, recording)
        self._takes.save_audio(take_id, bytes(sung.wav))
        job.timed("store", began)
        job.timings_s["total"] = time.perf_counter() - job.started
        take.timings_s.update({stage: round(s, 4) for stage, s in job.timings_s.items()})
        for stage, seconds in job.timings_s.items():
            STAGE_SECONDS.labels(stage).observe(seconds)
        self._takes.save_record(take)
        yield progress("store", 1.0)
        yield studio_pb2.MelodyToVocalsResponse(take=take)

    def _budget_s(self, timeout_s: float) -> float | None:
        """The job's own time limit from ``VocalsOptions.timeout_s`` (0: none)."""
        if timeout_s == 0:
            return None
        longest_s = self._settings.gateway_route_timeout_s
        if not 0 < timeout_s <= longest_s:
            raise InvalidInputError(
                f"timeout_s must be between 0 and {longest_s:g} seconds; got {timeout_s:g}"
            )
        return timeout_s

    def _call(
        self,
        job: _Job,
        stage: str,
        invoke: Callable[[float], Any],
        own_timeout_s: float,
    ) -> Any:
        """The answer of a unary call started by ``invoke(timeout_s)`` (a gRPC future).

        The call is made once the service is reachable, and does not wait for it again
        (``wait_for_ready=False``): a service that went down in between fails it at once
        with UNAVAILABLE rather than leaving it to wait out the stage's timeout. The call
        is cancelled as soon as the job is (WorkCancelledError), so the stage's
        service stops working for a caller who has gone.
        """
        self._wait_until_reachable(job, stage, own_timeout_s)
        timeout_s = job.stage_timeout_s(stage, own_timeout_s)
        future = invoke(timeout_s)
        try:
            while True:
                try:
                    return future.result(timeout=_CANCEL_CHECK_S)
                except grpc.FutureTimeoutError:
                    if job.cancelled.is_set():
                        future.cancel()
                        raise WorkCancelledError(
                            f"stopped the {stage} stage: the caller left"
                        ) from None
        except grpc.RpcError as error:
            raise _stage_error(
                stage, error, timeout_s, _engine_bound(job, timeout_s, own_timeout_s)
            ) from None

    def _wait_until_reachable(self, job: _Job, stage: str, own_timeout_s: float) -> None:
        """Returns once the stage's service is connected; waits for one that is (re)starting
        at most ``STUDIO_RESTART_WAIT_S`` (and never beyond the stage's time).

        Raises:
            UnavailableError: The service is still not reachable.
            WorkCancelledError: The caller left while the job waited.
        """
        wait_s = min(
            self._settings.studio_restart_wait_s, job.stage_timeout_s(stage, own_timeout_s)
        )
        ready = self._stubs.ready(stage)
        waited_until = time.monotonic() + wait_s
        try:
            while True:
                try:
                    # At least one slice, even with no wait: a connected channel reports
                    # READY to the future from another thread, a moment later.
                    ready.result(timeout=_CANCEL_CHECK_S)
                    return
                except grpc.FutureTimeoutError:
                    raise_if_cancelled(job.cancelled, f"waiting for the {stage} service")
                    if time.monotonic() >= waited_until:
                        raise UnavailableError(
                            f"the {stage} service is not reachable (waited {wait_s:.0f} s for "
                            "it); try again in a minute"
                        ) from None
        finally:
            ready.cancel()

    @staticmethod
    def _stream(
        stage: str, call: Iterator[Any], timeout_s: float, own_timeout_s: float, job: _Job
    ) -> Iterator[Any]:
        try:
            yield from call
        except grpc.RpcError as error:
            raise _stage_error(
                stage, error, timeout_s, _engine_bound(job, timeout_s, own_timeout_s)
            ) from None


def _stop(call: Any) -> None:
    """Ends a server-streaming call early when our own client went away (no-op when done).

    Through the tracing interceptor the call is a generator: closing it drops the
    underlying call, which gRPC cancels.
    """
    stop = getattr(call, "cancel", None) or getattr(call, "close", None)
    if stop is not None:
        stop()


def _upload_messages(audio: bytes, pitch_engine: str) -> Iterator[pitch_pb2.ExtractMelodyRequest]:
    yield pitch_pb2.ExtractMelodyRequest(options=pitch_pb2.ExtractionOptions(engine=pitch_engine))
    for start in range(0, len(audio), UPLOAD_CHUNK_BYTES):
        yield pitch_pb2.ExtractMelodyRequest(audio_chunk=audio[start : start + UPLOAD_CHUNK_BYTES])


def _engine_bound(job: _Job, timeout_s: float, own_timeout_s: float) -> bool:
    """Whether the stage's time was its own default limit: neither the caller's job time
    (``timeout_s`` of the options) nor the caller's deadline cut it shorter. Only then
    does giving the job more time help a stage that ran out of it."""
    return job.budget_s is None and timeout_s >= own_timeout_s


def _stage_error(
    stage: str, error: grpc.RpcError, timeout_s: float, engine_bound: bool
) -> Exception:
    """A downstream status as the matching domain error, naming the stage.

    ``timeout_s`` is what the stage was given; ``engine_bound`` whether that was the
    stage's own default limit (then a DEADLINE_EXCEEDED message says how to give the job
    more). The call was made on a connected channel (``_wait_until_reachable``), so a
    deadline means the service had the request and did not finish in time.
    """
    code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
    details = error.details() if isinstance(error, grpc.Call) else str(error)
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidInputError(details)
    if code is grpc.StatusCode.FAILED_PRECONDITION:
        return PreconditionError(details)
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED:
        return OverloadedError(f"the {stage} service is busy: {details}")
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        hint = (
            "; a slow engine on a long recording needs more: set timeout_s" if engine_bound else ""
        )
        return TimeoutError(
            f"the {stage} stage did not finish in the time it had ({timeout_s:.0f} s){hint}"
        )
    if code is grpc.StatusCode.CANCELLED:
        return UnavailableError(f"the {stage} call was cancelled")
    return UnavailableError(f"the {stage} service is unavailable ({code.name}: {details})")


#: The advice the lyrics service adds to a line with more syllables than notes
#: (services/lyrics/user_lyrics.py), meant for a person who wrote the line.
_FIT_ADVICE = re.compile(r"\. Shorten the line or sing it with more notes\.?$")


def _without_advice(reason: str) -> str:
    """Why a line did not fit, without advice to shorten it: once the lyricist has written
    the line anew, there is nothing left to shorten."""
    return _FIT_ADVICE.sub("", reason)
