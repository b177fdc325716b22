// The studio page: record or choose a hum, watch the take being made and hear it as it
// streams, correct the notes and words, sing it again, download it, go back to any take.
// Everything goes through the documented REST API (see README "The REST API").

import { Api, ApiError, GrpcCode } from "./api.js";
import { describeError } from "./errors.js";
import * as edit from "./melody-edit.js";
import { describeNote, PianoRoll } from "./piano-roll.js";
import { Tracks, Transport } from "./player.js";
import { MAX_RECORDING_S, notAudioProblem, Recorder, recordingFileName } from "./recorder.js";
import { base64ToBytes, WavStreamDecoder } from "./wav.js";

const $ = (id) => document.getElementById(id);

/** Seconds a note moves (or an edge) per arrow key press. */
const ARROW_STEP_S = 0.05;
/** Takes the page looks through for the other takes of a recording. */
const FAMILY_SEARCH_PAGES = 3;
const STAGE_TEXT = {
  // Nothing comes back until the notes are found (a bad upload still gets a plain
  // error), so sending and finding the notes are one step to the person waiting.
  upload: "Sending the recording and finding the notes…",
  pitch: "Finding the notes…",
  lyrics: "Writing the words…",
  synth: "Singing…",
  store: "Keeping the take…",
};
const PROVIDER_NAMES = {
  local: "the built-in lyricist",
  anthropic: "Claude (Anthropic)",
  openai: "an OpenAI-compatible model",
  auto: "the best one available",
};

const state = {
  /** The take on show (the JSON of a Take), its document as loaded, the edit history. */
  take: null,
  original: null,
  history: null,
  selectedId: null,
  /** The document a drag started from (every drag position is applied to it). */
  dragBase: null,
  /** The running stream (melody-to-vocals or a revision) and its AbortController. */
  job: null,
  /** The take a running revision starts from (null for a new take). */
  jobParentId: null,
  /** What "Sing it" sends: {blob, name}. */
  upload: null,
  /** Decoded recordings by the id of the take they belong to (revisions share one). */
  recordings: new Map(),
  /** Every take seen (list pages, loads): id -> take. */
  takes: new Map(),
  nextPageToken: "",
  voices: [],
};

const transport = new Transport();
const api = new Api({ keyStore: window.localStorage, askForKey });
let recorder = null;
let roll = null;

// ---- messages ----

function showMessage(area, { title, detail = "", hint = "" }, kind = "error") {
  const box = $(`${area}-message`);
  const parts = [Object.assign(document.createElement("strong"), { textContent: title })];
  if (detail && detail !== title) {
    parts.push(Object.assign(document.createElement("span"), { className: "detail", textContent: detail }));
  }
  if (hint) {
    parts.push(Object.assign(document.createElement("span"), { className: "hint", textContent: hint }));
  }
  box.replaceChildren(...parts);
  box.className = `message ${kind}`;
  box.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function showError(area, error, context = {}) {
  if (!(error instanceof ApiError) && error?.name !== "AbortError" && !(error instanceof edit.EditError)) {
    console.warn(error); // a fault of the page itself: keep its stack for whoever debugs
  }
  showMessage(area, describeError(error, context));
}

function clearMessage(area) {
  const box = $(`${area}-message`);
  box.replaceChildren();
  box.className = "message";
}

// ---- client key ----

let keyPrompt = null;
/** Whether the person closed the key dialog without a key: the page then asks no more
 * by itself (each call says a key is needed) until they use "Client key". */
let keyDeclined = false;
/** The key the person last typed, to tell "that key was refused" from "the kept one was". */
let keyTyped = "";

/**
 * Asks for a client key (one dialog at a time); resolves with it, or null. `asked`: the
 * gateway asked for one (a 401), rather than the person (the "Client key" button).
 */
function askForKey({ refused, message, asked = true }) {
  if (keyPrompt) {
    return keyPrompt;
  }
  if (asked && keyDeclined) {
    return Promise.resolve(null);
  }
  const dialog = $("key-dialog");
  if (refused && api.key && api.key === keyTyped) {
    $("key-reason").textContent = "The gateway refused that key. Check it (every character counts) and enter it again.";
  } else if (refused) {
    $("key-reason").textContent =
      "The gateway refused the client key kept in this browser (it may have been revoked). Enter a valid one.";
  } else if (asked) {
    $("key-reason").textContent = "This gateway needs a client key. It is kept in this browser only.";
  } else {
    $("key-reason").textContent =
      "The key this browser sends when the gateway asks for one. It is kept in this browser only.";
  }
  $("key-error").textContent = refused ? message : "";
  $("key-error").className = refused ? "message error" : "message";
  $("key-input").value = "";
  $("key-forget").hidden = !api.key;
  keyPrompt = new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        keyPrompt = null;
        const key = $("key-input").value.trim();
        if (dialog.returnValue === "forget") {
          api.key = "";
        }
        const given = dialog.returnValue === "save" && key ? key : null;
        keyDeclined = !given;
        keyTyped = given ?? keyTyped;
        resolve(given);
        refreshKeyButton();
      },
      { once: true },
    );
  });
  dialog.showModal();
  $("key-input").focus();
  return keyPrompt;
}

function refreshKeyButton() {
  $("key-button").textContent = api.key ? "Client key (set)" : "Client key";
}

async function changeKey() {
  const key = await askForKey({ refused: false, message: "", asked: false });
  if (key) {
    api.key = key;
    refreshKeyButton();
    clearMessage("make"); // what the old key (or none) was refused is tried again now
    await loadServiceState();
    await loadTakes();
  }
}

// ---- service state: health, voices, lyricists ----

async function loadServiceState() {
  const status = $("service-state");
  try {
    const health = await api.json("/health");
    const degraded = Object.entries(health.providers ?? {})
      .filter(([, provider]) => provider.status === "degraded")
      .map(([name]) => name);
    status.textContent =
      health.status === "ok"
        ? `Ready (version ${health.version}).`
        : `Ready, but ${degraded.join(", ") || "an optional part"} is failing (version ${health.version}).`;
    status.className = "service-state ok";
  } catch (error) {
    const { title, detail } = describeError(error);
    status.textContent = `${title} ${detail}`;
    status.className = "service-state error";
  }
  await Promise.all([loadVoices(), loadLyricists()]);
}

function option(value, text, { disabled = false, selected = false } = {}) {
  const element = new Option(text, value, selected, selected);
  element.disabled = disabled;
  return element;
}

/** Voice choices: "auto" first (the service picks the voice whose range fits the tune). */
async function loadVoices() {
  try {
    const { voices = [] } = await api.json("/v1/voices");
    state.voices = voices;
  } catch (error) {
    showError("make", error);
    return;
  }
  const voiceOptions = (chosen) =>
    state.voices.map((voice) =>
      option(
        voice.voice_id,
        voice.available
          ? `${voice.display_name}${rangeText(voice)}`
          : `${voice.display_name} (unavailable: ${voice.unavailable_reason})`,
        { disabled: !voice.available, selected: voice.voice_id === chosen },
      ),
    );
  const make = $("voice");
  const makeChoice = make.value || "auto";
  make.replaceChildren(
    option("auto", "the one that fits my tune", { selected: makeChoice === "auto" }),
    ...voiceOptions(makeChoice),
  );
  const revise = $("revise-voice");
  const reviseChoice = revise.value;
  revise.replaceChildren(
    option("auto", "the one that fits the edited tune", { selected: reviseChoice === "auto" }),
    ...voiceOptions(reviseChoice),
  );
}

function rangeText(voice) {
  return voice.lowest_midi && voice.highest_midi
    ? ` · ${edit.noteName(voice.lowest_midi)}–${edit.noteName(voice.highest_midi)}`
    : "";
}

async function loadLyricists() {
  let providers = {};
  try {
    ({ providers = {} } = await api.json("/v1/lyrics/providers"));
  } catch (error) {
    showError("make", error);
  }
  const usable = Object.entries(providers)
    .filter(([, provider]) => provider.state !== "not_configured")
    .map(([name, provider]) => [name, provider]);
  const select = $("lyrics-provider");
  const chosen = select.value || "local";
  const choices = usable.map(([name, provider]) =>
    option(
      name,
      `${PROVIDER_NAMES[name] ?? name}${provider.state === "degraded" ? " (failing lately)" : ""}`,
      { selected: name === chosen },
    ),
  );
  if (usable.some(([name]) => name !== "local")) {
    choices.push(option("auto", PROVIDER_NAMES.auto, { selected: chosen === "auto" }));
  }
  select.replaceChildren(...choices);
}

// ---- recording ----

let countInAbort = null;
let recordTimer = null;
let meterFrame = 0;

function setRecordState(mode) {
  const button = $("record");
  button.dataset.state = mode;
  $("record-label").textContent = { idle: "Record", counting: "Cancel", recording: "Stop" }[mode];
  button.setAttribute("aria-pressed", mode === "recording" ? "true" : "false");
  if (mode !== "counting") {
    $("count-in-display").textContent = "";
  }
}

function runMeter() {
  $("level").value = recorder?.level() ?? 0;
  meterFrame = recorder?.isOpen ? requestAnimationFrame(runMeter) : 0;
}

async function onRecordButton() {
  if (recorder?.recording) {
    await stopRecording();
  } else if (countInAbort) {
    countInAbort.abort();
  } else {
    await startRecording();
  }
}

async function startRecording() {
  const context = transport.ensureContext(); // inside the click: audio may start later
  stopJob();
  transport.stop();
  clearMessage("make");
  recorder = recorder ?? new Recorder(context);
  try {
    await recorder.open();
  } catch (error) {
    showMessage("make", { title: error.message });
    return;
  }
  cancelAnimationFrame(meterFrame);
  runMeter();
  const beats = Number($("count-in").value);
  if (beats > 0) {
    setRecordState("counting");
    countInAbort = new AbortController();
    const bpm = Math.min(240, Math.max(40, Number($("count-in-bpm").value) || 100));
    try {
      await recorder.countIn(beats, bpm, (left) => {
        $("count-in-display").textContent = String(left);
      }, countInAbort.signal);
    } catch {
      countInAbort = null;
      recorder.close();
      setRecordState("idle");
      return;
    }
    countInAbort = null;
  }
  recorder.start();
  setRecordState("recording");
  $("count-in-display").textContent = "Now!";
  const startedAt = performance.now();
  clearInterval(recordTimer);
  recordTimer = setInterval(() => {
    const seconds = (performance.now() - startedAt) / 1000;
    $("record-clock").textContent = clock(seconds);
    if (seconds >= 1) {
      $("count-in-display").textContent = "";
    }
    if (seconds >= MAX_RECORDING_S) {
      stopRecording();
    }
  }, 200);
}

async function stopRecording() {
  clearInterval(recordTimer);
  performance.clearMarks();
  performance.mark("studio:recording-stopped");
  const blob = await recorder.stop();
  recorder.close();
  setRecordState("idle");
  $("level").value = 0;
  if (!blob || blob.size === 0) {
    showMessage("make", { title: "Nothing was recorded.", hint: "Check the microphone and try again." });
    return;
  }
  chooseUpload(blob, recordingFileName(blob.type), `your recording (${$("record-clock").textContent})`);
  await makeTake();
}

function chooseUpload(blob, name, description) {
  state.upload = { blob, name };
  $("chosen-file").textContent = `Ready to sing: ${description}, ${sizeText(blob.size)}.`;
  $("sing").disabled = false;
}

function onFileChosen(file) {
  if (!file) {
    return;
  }
  clearMessage("make");
  const problem = notAudioProblem(file);
  if (problem) {
    state.upload = null;
    $("chosen-file").textContent = "";
    $("sing").disabled = true;
    showMessage("make", {
      title: "This file is not a recording.",
      detail: problem,
      hint: "Choose an audio file: wav, flac, mp3, ogg/opus, webm or m4a.",
    });
    return;
  }
  chooseUpload(file, file.name, file.name);
  $("sing").focus();
}

// ---- making a take, and singing one again: the streamed events ----

function stopJob() {
  state.job?.abort();
  state.job = null;
  state.jobParentId = null;
}

/** Marks the steps of making a take (Notes, Words, Voice, Done) up to `stage`. */
function showStage(area, stage) {
  if (area !== "make") {
    return;
  }
  const order = ["melody", "lyrics", "audio", "take"];
  const reached = order.indexOf(stage);
  for (const item of document.querySelectorAll(".stages li")) {
    const index = order.indexOf(item.dataset.stage);
    // The take is the last stage: once it is here, nothing is in progress.
    const done = index < reached || (index === reached && stage === "take");
    item.className = done ? "done" : index === reached ? "active" : "";
  }
}

async function makeTake() {
  if (!state.upload) {
    return;
  }
  transport.ensureContext();
  const form = new FormData();
  form.append("audio", state.upload.blob, state.upload.name);
  const fields = {
    theme: $("theme").value.trim(),
    mood: $("mood").value.trim(),
    voice: $("voice").value,
    lyrics_provider: $("lyrics-provider").value,
    user_lyrics: $("user-lyrics").value.trim(),
  };
  for (const [name, value] of Object.entries(fields)) {
    if (value) {
      form.append(name, value);
    }
  }
  await runJob({
    area: "make",
    path: "/v1/melody-to-vocals:stream",
    init: { method: "POST", body: form },
    context: { upload: true, uploadBytes: state.upload.blob.size },
    recording: state.upload.blob,
  });
}

async function singAgain() {
  const request = revisionRequest();
  if (!request) {
    return;
  }
  transport.ensureContext();
  await runJob({
    area: "edit",
    path: `/v1/takes/${state.take.take_id}:streamRevise`,
    init: {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(request),
    },
    context: {},
    parent: state.take,
  });
}

function setBusy(area, busy) {
  if (area === "make") {
    $("make-progress").hidden = false;
    $("sing").disabled = busy || !state.upload;
    $("cancel").hidden = !busy;
  } else {
    $("edit-progress").hidden = !busy;
    $("resing").disabled = busy;
  }
  document.body.classList.toggle("busy", busy);
}

/** Shows `fraction` (0-1) done, or, for null, work whose share is unknown (a moving bar). */
function setProgress(area, fraction, text) {
  const bar = $(area === "make" ? "progress-bar" : "edit-progress-bar");
  if (fraction === null) {
    bar.removeAttribute("value");
  } else {
    bar.value = fraction;
  }
  if (area === "make" && text) {
    $("progress-label").textContent = text;
  }
}

/**
 * Runs a streaming call and shows its events as they come: the notes, the words, the
 * vocal (playing from its first piece), then the take.
 */
async function runJob({ area, path, init, context, recording = null, parent = null }) {
  stopJob();
  const job = new AbortController();
  state.job = job;
  state.jobParentId = parent?.take_id ?? null;
  clearMessage(area);
  setBusy(area, true);
  showStage(area, "");
  // No event tells how far the upload and the transcription are: a moving bar, not a
  // bar stuck at nothing, until the first one comes.
  setProgress(area, null, STAGE_TEXT.upload);
  const previousVocal = transport.buffers.vocal;
  performance.mark("studio:take-requested");
  const decoder = new WavStreamDecoder();
  let streaming = false;
  let melody = null;
  let take = null;
  let failed = false;
  try {
    for await (const event of api.events(path, { ...init, signal: job.signal })) {
      if (event.progress) {
        setProgress(area, event.progress.fraction, STAGE_TEXT[event.progress.stage]);
      } else if (event.melody) {
        melody = event.melody;
        showDraft({ melody }, area);
        showStage(area, "melody");
      } else if (event.lyrics) {
        showDraft({ melody, lyrics: event.lyrics }, area);
        showStage(area, "lyrics");
      } else if (event.audio_chunk) {
        const samples = decoder.push(base64ToBytes(event.audio_chunk));
        if (!streaming && decoder.headerDone) {
          transport.beginStream(decoder.sampleRateHz, decoder.totalFrames);
          streaming = true;
          showStage(area, "audio");
        }
        transport.pushStream(samples);
      } else if (event.take) {
        take = event.take;
      }
    }
    if (!take) {
      throw new ApiError("the service ended the stream before the take was kept", { status: 502 });
    }
    performance.mark("studio:take");
    showStage(area, "take");
    setProgress(area, 1, "Done.");
    const vocal = streaming ? transport.endStream() : null;
    const recordingBuffer = parent ? state.recordings.get(parent.take_id) : null;
    if (recordingBuffer) {
      state.recordings.set(take.take_id, recordingBuffer);
    }
    await showTake(take, { vocal, recording, keepPlaying: streaming, keepView: Boolean(parent) });
    rememberTake(take, { prepend: true });
  } catch (error) {
    if (streaming) {
      transport.stop();
      transport.setBuffer(Tracks.VOCAL, previousVocal); // the take on show plays as before
    }
    if (state.job === job || error.name !== "AbortError") {
      showError(area, error, context);
    }
    failed = true;
  } finally {
    if (state.job === job) {
      state.job = null;
      state.jobParentId = null;
    }
    setBusy(area, false);
    if (!state.job) {
      if (failed) {
        $(area === "make" ? "make-progress" : "edit-progress").hidden = true;
        restoreTakeOnShow();
      } else {
        showTakeDocument(); // editable again
      }
    }
    updateEditControls();
  }
}

/** After a failed job: the take that was on show (and its edits) as it was, or none. */
function restoreTakeOnShow() {
  if (state.take) {
    $("take-summary").textContent = takeSummary(state.take);
    showTakeDocument();
  } else {
    $("take").hidden = true;
  }
}

/** The notes (and words) of a take still being made: shown, not yet editable. */
function showDraft(partialTake, area) {
  const doc = edit.documentFromTake(partialTake);
  $("take").hidden = false;
  $("take-summary").textContent = `${doc.notes.length} notes found; the take is being made…`;
  roll.show(doc, { editable: false, newRange: area === "make", selectedId: null });
}

transport.addEventListener("firstaudio", () => {
  performance.mark("studio:first-audio");
  if (performance.getEntriesByName("studio:recording-stopped").length) {
    performance.measure("studio:stop-to-first-audio", "studio:recording-stopped", "studio:first-audio");
  }
});

// ---- the take on show ----

async function showTake(take, { vocal = null, recording = null, keepPlaying = false, keepView = false } = {}) {
  state.take = take;
  state.takes.set(take.take_id, take);
  state.original = edit.documentFromTake(take);
  state.history = new edit.History(state.original);
  state.selectedId = null;
  state.dragBase = null;
  history.replaceState(null, "", `#take=${take.take_id}`);
  $("take").hidden = false;
  $("take-summary").textContent = takeSummary(take);
  $("note-status").textContent = "";
  clearMessage("download");
  fillRevisionOptions(take); // before the edit controls, which compare the options with the take's
  showTakeDocument({ newRange: !keepView });
  fillLines();
  if (!keepPlaying) {
    transport.stop();
  }
  const loads = [];
  if (vocal) {
    transport.setBuffer(Tracks.VOCAL, vocal);
  } else {
    transport.setBuffer(Tracks.VOCAL, null);
    loads.push(loadVocal(take));
  }
  loads.push(loadRecording(take, recording));
  renderVersions(take);
  await Promise.all(loads);
  updateTransport();
}

async function loadVocal(take) {
  try {
    const bytes = await api.bytes(`/v1/takes/${take.take_id}/audio`);
    if (state.take?.take_id === take.take_id) {
      transport.setBuffer(Tracks.VOCAL, await transport.decode(bytes));
    }
  } catch (error) {
    showError("edit", error);
  }
}

async function loadRecording(take, blob) {
  const radio = document.querySelector('input[name="listen"][value="recording"]');
  let buffer = state.recordings.get(take.take_id) ?? null;
  if (!buffer) {
    try {
      const bytes = blob ? await blob.arrayBuffer() : await api.bytes(`/v1/takes/${take.take_id}/recording`);
      buffer = await transport.decode(bytes);
      state.recordings.set(take.take_id, buffer);
    } catch (error) {
      // Some browsers cannot decode every format the service takes (e.g. Opus in Safari).
      buffer = null;
      $("note-status").textContent = `Your recording cannot be played here: ${error.message}`;
    }
  }
  if (state.take?.take_id !== take.take_id) {
    return;
  }
  transport.setBuffer(Tracks.RECORDING, buffer);
  radio.disabled = !buffer;
  document.querySelector('input[name="listen"][value="both"]').disabled = !buffer;
}

function takeSummary(take) {
  const melody = take.melody ?? {};
  const lines = take.lyrics?.lines ?? [];
  const parts = [
    `${melody.notes?.length ?? 0} notes in ${lines.length} line${lines.length === 1 ? "" : "s"}`,
    `sung by ${voiceName(take.engines?.voice)}`,
    `${take.audio_duration_s.toFixed(1)} s`,
  ];
  if (melody.key?.tonic) {
    parts.push(`key ${melody.key.tonic} ${String(melody.key.mode).replace("KEY_MODE_", "").toLowerCase()}`);
  }
  if (take.applied_transpose_semitones) {
    const shift = take.applied_transpose_semitones;
    parts.push(`sung ${Math.abs(shift)} semitone${Math.abs(shift) === 1 ? "" : "s"} ${shift > 0 ? "higher" : "lower"} than hummed`);
  }
  // The take's warnings include its lyrics' own: each is said once.
  const notes = [...new Set([take.voice_choice, ...(take.warnings ?? []), ...(take.lyrics?.warnings ?? [])])]
    .filter(Boolean)
    .map((note) => note[0].toUpperCase() + note.slice(1).replace(/\.$/, ""));
  return `${[parts.join(" · "), ...notes].join(". ")}.`;
}

function voiceName(voiceId) {
  return state.voices.find((voice) => voice.voice_id === voiceId)?.display_name ?? voiceId ?? "?";
}

function showTakeDocument({ newRange = false } = {}) {
  if (!state.history) {
    return;
  }
  roll.show(state.history.present, {
    durationS: state.take?.audio_duration_s ?? 0,
    editable: !state.job,
    selectedId: state.selectedId,
    newRange,
  });
  updateEditControls();
}

function fillLines() {
  const doc = state.history.present;
  const container = $("lines");
  const rows = doc.lines.map((line, index) => {
    const label = document.createElement("label");
    label.className = "line";
    const input = Object.assign(document.createElement("input"), {
      type: "text",
      value: line.text,
      maxLength: 500,
    });
    input.dataset.line = String(index);
    input.addEventListener("change", () => {
      applyEdit((current) => edit.setLineText(current, index, input.value), `Line ${index + 1} changed.`);
    });
    label.append(Object.assign(document.createElement("span"), { textContent: `Line ${index + 1}` }), input);
    return label;
  });
  container.replaceChildren(...rows);
}

function syncLines() {
  const doc = state.history.present;
  const inputs = [...document.querySelectorAll("#lines input")];
  if (inputs.length !== doc.lines.length) {
    fillLines();
    return;
  }
  inputs.forEach((input, index) => {
    if (input.value !== doc.lines[index].text) {
      input.value = doc.lines[index].text;
    }
    input.classList.toggle("edited", doc.lines[index].text.trim() !== doc.lines[index].original.trim());
  });
}

function fillRevisionOptions(take) {
  const voice = take.engines?.voice || take.options?.voice;
  if ([...$("revise-voice").options].some((choice) => choice.value === voice)) {
    $("revise-voice").value = voice;
  }
  $("transpose").value = String(take.options?.transpose_semitones ?? 0);
  $("vibrato").value = "-5";
  $("tempo-scale").value = "1";
  showVibrato();
}

function showVibrato() {
  const cents = Number($("vibrato").value);
  $("vibrato-value").textContent = cents < 0 ? "voice's own" : `${cents} cents`;
}

// ---- editing ----

/** What a revision would change, as the JSON of :revise; null when nothing would. */
function revisionRequest() {
  if (!state.take || !state.history) {
    return null;
  }
  const doc = state.history.present;
  const request = {};
  if (edit.notesChanged(doc, state.original)) {
    request.melody = edit.melodyOf(doc);
  }
  const lineTexts = edit.editedLines(doc);
  if (Object.keys(lineTexts).length) {
    request.line_texts = lineTexts;
  }
  const options = {};
  const take = state.take;
  if ($("revise-voice").value && $("revise-voice").value !== (take.engines?.voice || take.options?.voice)) {
    options.voice = $("revise-voice").value;
  }
  const transpose = Math.round(Number($("transpose").value) || 0);
  if (transpose !== (take.options?.transpose_semitones ?? 0)) {
    options.transpose_semitones = Math.min(24, Math.max(-24, transpose));
  }
  if (Number($("vibrato").value) >= 0) {
    options.vibrato_depth_cents = Number($("vibrato").value);
  }
  if (Number($("tempo-scale").value) !== 1) {
    options.tempo_scale = Number($("tempo-scale").value);
  }
  if (Object.keys(options).length) {
    request.options = options;
  }
  return Object.keys(request).length ? request : null;
}

function describeChanges(request) {
  if (!request) {
    return "Change a note, a line or an option, then sing it again.";
  }
  const parts = [];
  if (request.melody) {
    parts.push("notes edited");
  }
  if (request.line_texts) {
    const count = Object.keys(request.line_texts).length;
    parts.push(`${count} line${count === 1 ? "" : "s"} of new words`);
  }
  if (request.options?.voice) {
    parts.push(`voice: ${voiceName(request.options.voice)}`);
  }
  if (request.options?.transpose_semitones !== undefined) {
    parts.push(`transposed ${request.options.transpose_semitones}`);
  }
  if (request.options?.vibrato_depth_cents !== undefined) {
    parts.push(`vibrato ${request.options.vibrato_depth_cents} cents`);
  }
  if (request.options?.tempo_scale !== undefined) {
    parts.push(`speed ${request.options.tempo_scale}×`);
  }
  return `To sing: ${parts.join(", ")}.`;
}

function updateEditControls() {
  const history = state.history;
  const editable = Boolean(history) && !state.job;
  const selected = editable && state.selectedId !== null;
  $("undo").disabled = !editable || !history.canUndo;
  $("redo").disabled = !editable || !history.canRedo;
  $("split").disabled = !selected;
  $("merge").disabled = !selected;
  $("delete").disabled = !selected;
  $("add").disabled = !editable;
  const request = editable ? revisionRequest() : null;
  $("resing").disabled = !request;
  $("revert").disabled = !editable || history.present === state.original;
  $("edit-summary").textContent = editable ? describeChanges(request) : "";
  for (const button of document.querySelectorAll("[data-download]")) {
    button.disabled = !state.take;
  }
}

function selectNote(id, { focus = false, announce = true } = {}) {
  state.selectedId = id;
  roll.show(state.history.present, { durationS: state.take.audio_duration_s, selectedId: id, editable: !state.job });
  if (focus && id !== null) {
    roll.focusNote(id);
  }
  if (announce) {
    const note = state.history.present.notes.find((candidate) => candidate.id === id);
    $("note-status").textContent = note ? describeNote(state.history.present, note) : "";
  }
  updateEditControls();
}

/**
 * Applies an edit to the present document: `change(doc)` returns a document, or
 * {doc, id} to select a new note. EditErrors are told to the person.
 */
function applyEdit(change, announce) {
  if (!state.history || state.job) {
    return;
  }
  let result;
  try {
    result = change(state.history.present);
  } catch (error) {
    if (error instanceof edit.EditError) {
      $("note-status").textContent = `Cannot do that: ${error.message}.`;
      return;
    }
    throw error;
  }
  const doc = result.notes ? result : result.doc;
  if (!result.notes && result.id !== undefined) {
    state.selectedId = result.id;
  }
  if (!state.history.commit(doc)) {
    return;
  }
  afterEdit(announce);
}

function afterEdit(announce) {
  const doc = state.history.present;
  if (!doc.notes.some((note) => note.id === state.selectedId)) {
    state.selectedId = null;
  }
  showTakeDocument();
  syncLines();
  const note = doc.notes.find((candidate) => candidate.id === state.selectedId);
  $("note-status").textContent = [announce, note ? describeNote(doc, note) : ""].filter(Boolean).join(" ");
}

function undo() {
  if (state.history?.canUndo && !state.job) {
    state.history.undo();
    afterEdit("Undone.");
  }
}

function redo() {
  if (state.history?.canRedo && !state.job) {
    state.history.redo();
    afterEdit("Redone.");
  }
}

function neighbourOf(id) {
  const notes = state.history.present.notes;
  const index = notes.findIndex((note) => note.id === id);
  return notes[index + 1]?.id ?? notes[index - 1]?.id ?? null;
}

const commands = {
  split: (id) => applyEdit((doc) => edit.splitNote(doc, id), "Split in two."),
  merge: (id) => applyEdit((doc) => edit.mergeWithNext(doc, id), "Merged with the next note."),
  delete: (id) => {
    const next = neighbourOf(id);
    applyEdit((doc) => ({ doc: edit.deleteNote(doc, id), id: next }), "Deleted.");
  },
  add: (id) => {
    if (id !== null) {
      applyEdit((doc) => edit.addNoteAfter(doc, id), "Note added.");
    } else {
      const doc = state.history.present;
      const pitch = doc.notes.length ? doc.notes[doc.notes.length - 1].midi_pitch : 60;
      applyEdit((current) => edit.addNote(current, transport.positionS, pitch), "Note added at the playhead.");
    }
  },
};

function runCommand(name) {
  commands[name](state.selectedId);
  if (state.selectedId !== null) {
    roll.focusNote(state.selectedId);
  }
}

function onRollKey(event) {
  const id = PianoRoll.noteIdOf(event.target);
  if (id === null || state.job || !state.history) {
    return;
  }
  const step = event.shiftKey ? 12 : 1;
  const handlers = {
    ArrowUp: () => applyEdit((doc) => edit.moveNote(doc, id, { pitchDelta: step })),
    ArrowDown: () => applyEdit((doc) => edit.moveNote(doc, id, { pitchDelta: -step })),
    ArrowLeft: () => horizontal(-1),
    ArrowRight: () => horizontal(1),
    Delete: () => commands.delete(id),
    Backspace: () => commands.delete(id),
    s: () => commands.split(id),
    m: () => commands.merge(id),
    a: () => commands.add(id),
    Home: () => selectNote(state.history.present.notes[0].id, { focus: true }),
    End: () => selectNote(state.history.present.notes.at(-1).id, { focus: true }),
  };
  function horizontal(sign) {
    const delta = sign * ARROW_STEP_S;
    if (event.shiftKey) {
      applyEdit((doc) => edit.resizeNote(doc, id, { endDeltaS: delta }));
    } else if (event.altKey) {
      applyEdit((doc) => edit.resizeNote(doc, id, { startDeltaS: delta }));
    } else {
      applyEdit((doc) => edit.moveNote(doc, id, { timeDeltaS: delta }));
    }
  }
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const handler = event.ctrlKey || event.metaKey ? null : handlers[key];
  if (handler) {
    event.preventDefault();
    const before = state.history.present;
    handler();
    if (state.selectedId !== null) {
      roll.focusNote(state.selectedId);
    }
    if (key.startsWith("Arrow") && state.history.present === before) {
      // Otherwise a key that meets a neighbour or an end does nothing, and says nothing.
      const note = before.notes.find((candidate) => candidate.id === id);
      $("note-status").textContent =
        `It cannot go further that way: a note may not overlap another, leave the take, last under ${edit.MIN_NOTE_S * 1000} ms or leave MIDI ${edit.LOWEST_MIDI}–${edit.HIGHEST_MIDI}. ${describeNote(before, note)}`;
    }
  }
}

function onRollDrag({ detail }) {
  if (!state.history || state.job) {
    return;
  }
  state.dragBase = state.dragBase ?? state.history.present;
  const base = state.dragBase;
  let doc;
  if (detail.mode === "move") {
    doc = edit.moveNote(base, detail.id, { pitchDelta: detail.pitchDelta, timeDeltaS: detail.timeDeltaS });
  } else if (detail.mode === "start") {
    doc = edit.resizeNote(base, detail.id, { startDeltaS: detail.timeDeltaS });
  } else {
    doc = edit.resizeNote(base, detail.id, { endDeltaS: detail.timeDeltaS });
  }
  if (detail.done) {
    state.dragBase = null;
    if (state.history.present !== base) {
      return;
    }
    state.history.commit(doc);
    afterEdit(doc === base ? "" : "Note changed.");
  } else {
    roll.show(doc, { durationS: state.take.audio_duration_s, selectedId: detail.id });
    const note = doc.notes.find((candidate) => candidate.id === detail.id);
    $("note-status").textContent = describeNote(doc, note);
  }
}

// ---- playback ----

let transportFrame = 0;

function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function updateTransport() {
  const position = transport.positionS;
  const duration = transport.durationS;
  $("play").textContent = transport.playing ? "Pause" : "Play";
  $("play").disabled = !transport.canPlay && !transport.playing;
  $("position").max = String(Math.max(duration, 0.01));
  $("position").value = String(position);
  $("position").setAttribute("aria-valuetext", `${clock(position)} of ${clock(duration)}`);
  $("time").textContent = `${clock(position)} / ${clock(duration)}`;
  roll?.setPlayhead(position, transport.playing && !roll.pointer);
}

function animateTransport() {
  updateTransport();
  transportFrame = transport.playing ? requestAnimationFrame(animateTransport) : 0;
}

transport.addEventListener("statechange", () => {
  if (transport.playing && !transportFrame) {
    transportFrame = requestAnimationFrame(animateTransport);
  }
  updateTransport();
});

function togglePlay() {
  transport.ensureContext();
  if (transport.canPlay || transport.playing) {
    transport.toggle();
  }
}

// ---- downloads ----

function saveBlob(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: fileName });
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function sizeText(bytes) {
  if (bytes < 1024) {
    return `${bytes} bytes`;
  }
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function extensionOf(mediaType) {
  const type = mediaType.split(";")[0];
  return (
    { "audio/wav": "wav", "audio/x-wav": "wav", "audio/flac": "flac", "audio/mpeg": "mp3", "audio/ogg": "ogg", "video/webm": "webm", "audio/webm": "webm", "audio/mp4": "m4a", "video/mp4": "mp4" }[type] ?? "audio"
  );
}

async function download(button) {
  const take = state.take;
  clearMessage("download");
  button.setAttribute("aria-busy", "true");
  try {
    const blob = await api.blob(`/v1/takes/${take.take_id}/${button.dataset.download}`);
    const extension = button.dataset.extension === "recording" ? extensionOf(blob.type) : button.dataset.extension;
    const stem = button.dataset.extension === "recording" ? "recording" : "take";
    saveBlob(blob, `${stem}-${take.take_id.slice(0, 8)}.${extension}`);
    showMessage("download", { title: `Saved ${button.textContent} (${sizeText(blob.size)}).` }, "ok");
  } catch (error) {
    showError("download", error);
  } finally {
    button.removeAttribute("aria-busy");
  }
}

// ---- earlier takes ----

function takeTitle(take) {
  const firstLine = take.lyrics?.lines?.[0]?.text;
  return firstLine ? `“${firstLine}”` : "(no words)";
}

function takeTime(take) {
  const created = take.created_at ? new Date(take.created_at) : null;
  return created ? created.toLocaleString([], { dateStyle: "short", timeStyle: "short" }) : "";
}

function takeButton(take, { current = false } = {}) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "take-button";
  if (current) {
    button.setAttribute("aria-current", "true");
  }
  const details = [takeTime(take), `${take.audio_duration_s.toFixed(1)} s`, voiceName(take.engines?.voice)];
  if (take.parent_take_id) {
    details.push("edited");
  }
  button.append(
    Object.assign(document.createElement("span"), { className: "take-title", textContent: takeTitle(take) }),
    Object.assign(document.createElement("span"), { className: "take-details", textContent: details.join(" · ") }),
  );
  button.addEventListener("click", () => openTake(take.take_id));
  return button;
}

/** A take in the list of earlier takes: a button that opens it, one that deletes it. */
function takeItem(take) {
  const item = document.createElement("li");
  item.className = "take-item";
  item.dataset.takeId = take.take_id;
  const remove = Object.assign(document.createElement("button"), {
    type: "button",
    className: "take-delete quiet",
    textContent: "Delete",
  });
  remove.setAttribute("aria-label", `Delete the take ${takeTitle(take)}, ${takeTime(take)}`);
  remove.addEventListener("click", () => deleteTake(take));
  item.append(takeButton(take), remove);
  return item;
}

function rememberTake(take, { prepend = false } = {}) {
  state.takes.set(take.take_id, take);
  if (prepend) {
    $("takes").prepend(takeItem(take));
    $("takes-empty").hidden = true;
  }
}

async function loadTakes({ more = false } = {}) {
  clearMessage("library");
  const token = more ? state.nextPageToken : "";
  try {
    const page = await api.json(`/v1/takes?page_size=10${token ? `&page_token=${encodeURIComponent(token)}` : ""}`);
    const takes = page.takes ?? [];
    takes.forEach((take) => state.takes.set(take.take_id, take));
    const items = takes.map(takeItem);
    if (more) {
      $("takes").append(...items);
    } else {
      $("takes").replaceChildren(...items);
    }
    state.nextPageToken = page.next_page_token ?? "";
    $("more-takes").hidden = !state.nextPageToken;
    $("takes-empty").hidden = $("takes").children.length > 0;
  } catch (error) {
    showError("library", error);
  }
}

async function openTake(takeId) {
  if (takeId !== state.take?.take_id && !(await confirmDiscard())) {
    return;
  }
  stopJob();
  clearMessage("edit");
  try {
    const take = await api.json(`/v1/takes/${encodeURIComponent(takeId)}`);
    await showTake(take);
    $("take-title").focus();
  } catch (error) {
    showError(state.take ? "edit" : "library", error);
  }
}

/**
 * When the open take has edits not sung yet, asks the person whether to leave them;
 * resolves true when there are none or they agree (opening another take drops them).
 */
function confirmDiscard() {
  const pending = unsungEdits();
  if (!pending) {
    return Promise.resolve(true);
  }
  $("discard-what").textContent = `${describeChanges(pending).replace(/^To sing: /, "Not sung yet: ")} Opening another take leaves them behind.`;
  return askInDialog("discard-dialog", "discard", "discard-keep");
}

/** The revision the open take's edits would ask for, when none is being sung; else null. */
function unsungEdits() {
  return state.take && !state.job ? revisionRequest() : null;
}

/** Asks the person to confirm deleting `take`; resolves true when they do. */
function confirmDelete(take) {
  $("delete-what").textContent = [takeTitle(take), takeTime(take), `${take.audio_duration_s.toFixed(1)} s`]
    .filter(Boolean)
    .join(" · ");
  return askInDialog("delete-dialog", "delete", "delete-keep");
}

/**
 * Shows a modal dialog with the safe answer (`safeButtonId`) focused, so Enter gives it;
 * resolves true when the person chose the button whose value is `yes`.
 */
function askInDialog(dialogId, yes, safeButtonId) {
  const dialog = $(dialogId);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === yes), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    $(safeButtonId).focus();
  });
}

/**
 * Deletes a take (every file of it, on the server) once the person confirms, and takes
 * it off the page. A take that is already gone (expired) leaves the page as well.
 */
async function deleteTake(take) {
  if (!(await confirmDelete(take))) {
    return;
  }
  clearMessage("library");
  try {
    await api.json(`/v1/takes/${encodeURIComponent(take.take_id)}`, { method: "DELETE" });
  } catch (error) {
    if (!(error instanceof ApiError && error.code === GrpcCode.NOT_FOUND)) {
      showError("library", error);
      return;
    }
  }
  forgetTake(take.take_id);
  showMessage("library", { title: `Deleted the take ${takeTitle(take)}.` }, "ok");
}

/** Takes a deleted take off the page: the list, the takes of its recording, the editor. */
function forgetTake(takeId) {
  const item = $("takes").querySelector(`[data-take-id="${takeId}"]`);
  const neighbour = item?.nextElementSibling ?? item?.previousElementSibling ?? null;
  const hadFocus = item?.contains(document.activeElement) || document.activeElement === document.body;
  item?.remove();
  $("takes-empty").hidden = $("takes").children.length > 0;
  state.takes.delete(takeId);
  state.recordings.delete(takeId);
  if (state.take?.take_id === takeId) {
    if (state.jobParentId === takeId) {
      stopJob(); // a revision of a deleted take has nothing left to start from
    }
    transport.stop();
    transport.setBuffer(Tracks.VOCAL, null);
    transport.setBuffer(Tracks.RECORDING, null);
    state.take = null;
    state.original = null;
    state.history = null;
    state.selectedId = null;
    $("take").hidden = true;
    history.replaceState(null, "", window.location.pathname + window.location.search);
    updateTransport();
  } else if (state.take) {
    renderVersions(state.take);
  }
  if (hadFocus) {
    (neighbour?.querySelector(".take-button") ?? $("library-title")).focus();
  }
}

/** The takes of the same recording: the take's ancestors, and every revision listed. */
async function renderVersions(take) {
  const list = $("versions");
  const byId = state.takes;
  const chain = [take];
  while (chain[0].parent_take_id && chain.length < 100) {
    const parentId = chain[0].parent_take_id;
    let parent = byId.get(parentId);
    if (!parent) {
      parent = await api.json(`/v1/takes/${parentId}`).catch(() => null);
      if (!parent) {
        break; // expired
      }
      byId.set(parentId, parent);
    }
    chain.unshift(parent);
  }
  let token = "";
  for (let page = 0; page < FAMILY_SEARCH_PAGES; page += 1) {
    const reply = await api
      .json(`/v1/takes?page_size=100${token ? `&page_token=${encodeURIComponent(token)}` : ""}`)
      .catch(() => null);
    (reply?.takes ?? []).forEach((listed) => byId.set(listed.take_id, listed));
    token = reply?.next_page_token ?? "";
    if (!token) {
      break;
    }
  }
  // A parent that is gone (deleted or expired) still names the recording its takes share.
  const rootId = chain[0].parent_take_id || chain[0].take_id;
  const rootOf = (candidate) => {
    let current = candidate;
    for (let hops = 0; current?.parent_take_id && hops < 100; hops += 1) {
      const parent = byId.get(current.parent_take_id);
      if (!parent) {
        return current.parent_take_id;
      }
      current = parent;
    }
    return current.take_id;
  };
  const family = [...byId.values()]
    .filter((candidate) => rootOf(candidate) === rootId)
    .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  if (state.take?.take_id !== take.take_id) {
    return;
  }
  list.replaceChildren(
    ...family.map((member, index) => {
      const item = document.createElement("li");
      const button = takeButton(member, { current: member.take_id === take.take_id });
      button.querySelector(".take-title").textContent =
        `${index === 0 && !member.parent_take_id ? "First take" : `Take ${index + 1}`}: ${takeTitle(member)}`;
      item.append(button);
      return item;
    }),
  );
}

// ---- wiring ----

function isTyping(target) {
  return target.closest?.("input, textarea, select, [contenteditable]") !== null;
}

function onGlobalKey(event) {
  if (event.defaultPrevented || $("key-dialog").open) {
    return;
  }
  const typing = isTyping(event.target);
  if (event.key === " " && !typing && !event.target.closest?.("button, a, summary")) {
    if (!$("take").hidden) {
      event.preventDefault();
      togglePlay();
    }
    return;
  }
  if (typing || !(event.ctrlKey || event.metaKey)) {
    return;
  }
  const key = event.key.toLowerCase();
  if (key === "z" && !event.shiftKey) {
    event.preventDefault();
    undo();
  } else if ((key === "z" && event.shiftKey) || key === "y") {
    event.preventDefault();
    redo();
  }
}

function wireDropZone() {
  const zone = $("drop-zone");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    onFileChosen(event.dataTransfer.files[0]);
  });
  $("file-input").addEventListener("change", (event) => onFileChosen(event.target.files[0]));
}

function wire() {
  roll = new PianoRoll($("roll-scroller"), $("roll"), $("keys"), "roll-help");
  roll.addEventListener("select", ({ detail }) => {
    if (state.history && !state.job) {
      selectNote(detail.id, { focus: detail.id !== null });
    }
  });
  roll.addEventListener("drag", onRollDrag);
  roll.addEventListener("add", ({ detail }) =>
    applyEdit((doc) => edit.addNote(doc, detail.onsetS, detail.midiPitch), "Note added."),
  );
  roll.addEventListener("seek", ({ detail }) => {
    transport.seek(detail.seconds);
    updateTransport();
  });
  $("roll").addEventListener("keydown", onRollKey);
  $("roll").addEventListener("focusin", (event) => {
    const id = PianoRoll.noteIdOf(event.target);
    if (id !== null && id !== state.selectedId && state.history && !state.job) {
      selectNote(id, { focus: false });
      roll.focusNote(id);
    }
  });

  $("record").addEventListener("click", onRecordButton);
  $("sing").addEventListener("click", makeTake);
  $("cancel").addEventListener("click", stopJob);
  wireDropZone();

  $("play").addEventListener("click", togglePlay);
  $("position").addEventListener("input", () => {
    transport.seek(Number($("position").value));
    updateTransport();
  });
  for (const radio of document.querySelectorAll('input[name="listen"]')) {
    radio.addEventListener("change", () => transport.setListen(radio.value));
  }

  $("undo").addEventListener("click", undo);
  $("redo").addEventListener("click", redo);
  for (const name of ["split", "merge", "delete", "add"]) {
    $(name).addEventListener("click", () => runCommand(name));
  }
  $("zoom-in").addEventListener("click", () => roll.zoom(1));
  $("zoom-out").addEventListener("click", () => roll.zoom(-1));
  $("resing").addEventListener("click", singAgain);
  $("revert").addEventListener("click", () => {
    if (state.history.commit(state.original)) {
      afterEdit("Edits discarded (Undo brings them back).");
    }
  });
  for (const id of ["revise-voice", "transpose", "tempo-scale"]) {
    $(id).addEventListener("change", updateEditControls);
  }
  $("vibrato").addEventListener("input", () => {
    showVibrato();
    updateEditControls();
  });
  for (const button of document.querySelectorAll("[data-download]")) {
    button.addEventListener("click", () => download(button));
  }
  $("more-takes").addEventListener("click", () => loadTakes({ more: true }));
  $("key-button").addEventListener("click", changeKey);
  document.addEventListener("keydown", onGlobalKey);
  window.addEventListener("hashchange", openLinkedTake); // a take's link pasted in this tab
  window.addEventListener("resize", () => roll.render());
}

async function start() {
  wire();
  // Closing or reloading the page with edits not sung yet asks first (the browser's own
  // question: a page may not word it).
  window.addEventListener("beforeunload", (event) => {
    if (unsungEdits()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  refreshKeyButton();
  setRecordState("idle");
  updateTransport();
  await loadServiceState();
  await loadTakes();
  await openLinkedTake();
}

/** Opens the take the address names (`/studio#take=<id>`), when it is not on show. */
async function openLinkedTake() {
  const linked = /^#take=([0-9a-f]{32})$/.exec(window.location.hash);
  if (linked && linked[1] !== state.take?.take_id) {
    await openTake(linked[1]);
  }
}

start();
