// The microphone: a level meter while it is open, a count-in of clicks, and a recording
// made by the browser's MediaRecorder (WebM/Opus in Chromium and Firefox, MP4/AAC in
// Safari), which the service decodes as it is.

/** The containers to record in, best first; the first the browser can make is used. */
export const RECORDING_TYPES = [
  "audio/webm;codecs=opus",
  "audio/ogg;codecs=opus",
  "audio/mp4;codecs=mp4a.40.2",
  "audio/mp4",
  "audio/webm",
];

/** The service refuses recordings longer than this (MAX_AUDIO_DURATION_S's default). */
export const MAX_RECORDING_S = 300;

/** The first type of RECORDING_TYPES the browser records ("" = its own default). */
export function recordingType(isTypeSupported) {
  return RECORDING_TYPES.find((type) => isTypeSupported(type)) ?? "";
}

/** A file name for a recording of this media type ("hum.webm", "hum.m4a"...). */
export function recordingFileName(mediaType) {
  const type = mediaType.split(";")[0].trim();
  const extension = { "audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a" }[type];
  return `hum.${extension ?? "audio"}`;
}

/**
 * Why a chosen file cannot be a recording, for a person ("" when it may be one): the
 * browser's media type for it is known and neither audio nor video (a text, an image...).
 * Files of unknown type (none, or application/octet-stream) are let through: the service
 * says whether it can decode them.
 * @param {{name: string, type: string}} file
 */
export function notAudioProblem({ name, type }) {
  const mediaType = (type ?? "").split(";")[0].trim().toLowerCase();
  const unknown = !mediaType || mediaType === "application/octet-stream";
  if (unknown || /^(audio|video)\//.test(mediaType) || mediaType === "application/ogg") {
    return "";
  }
  return `“${name}” is a ${mediaType} file, not audio.`;
}

/** Why the microphone could not be opened, for a person. */
export function microphoneProblem(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "The browser was not allowed to use the microphone. Allow it (the icon in the address bar), or choose a file instead.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No microphone was found. Plug one in, or choose a file instead.";
    case "NotReadableError":
      return "The microphone is busy in another program. Close it there, or choose a file instead.";
    default:
      return `The microphone could not be opened (${error?.message ?? error}). Choose a file instead.`;
  }
}

export class Recorder {
  /** @param {AudioContext} context the page's audio context (for the meter and clicks) */
  constructor(context) {
    this.context = context;
    this.stream = null;
    this.source = null;
    this.analyser = null;
    this.mediaRecorder = null;
    this.pieces = [];
    this.samples = null;
  }

  get isOpen() {
    return this.stream !== null;
  }

  /** Opens the microphone. Throws Error with a message for a person when it cannot. */
  async open() {
    if (this.stream) {
      return;
    }
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === "undefined") {
      throw new Error(
        "This browser cannot record here: the microphone needs https:// or http://localhost. Choose a file instead.",
      );
    }
    try {
      // A hum is not speech: noise suppression and gain control would flatten it.
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
    } catch (error) {
      throw new Error(microphoneProblem(error));
    }
    this.source = this.context.createMediaStreamSource(this.stream);
    this.analyser = this.context.createAnalyser();
    this.analyser.fftSize = 2048;
    this.samples = new Float32Array(this.analyser.fftSize);
    this.source.connect(this.analyser);
  }

  /** The input's peak level over the last ~40 ms, 0..1. */
  level() {
    if (!this.analyser) {
      return 0;
    }
    this.analyser.getFloatTimeDomainData(this.samples);
    let peak = 0;
    for (const sample of this.samples) {
      peak = Math.max(peak, Math.abs(sample));
    }
    return Math.min(1, peak);
  }

  /**
   * Plays `beats` clicks at `bpm` (the first one higher) and calls onBeat(n) with
   * n = beats..1 as each sounds; resolves when the next beat is due. `signal` cancels it.
   */
  countIn(beats, bpm, onBeat, signal) {
    const beatS = 60 / bpm;
    const start = this.context.currentTime + 0.1;
    const timers = [];
    for (let beat = 0; beat < beats; beat += 1) {
      const at = start + beat * beatS;
      const oscillator = this.context.createOscillator();
      const gain = this.context.createGain();
      oscillator.frequency.value = beat === 0 ? 1320 : 880;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.4, at + 0.005);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.08);
      oscillator.connect(gain).connect(this.context.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.1);
      timers.push(setTimeout(() => onBeat(beats - beat), (at - this.context.currentTime) * 1000));
    }
    return new Promise((resolve, reject) => {
      const done = setTimeout(resolve, (start + beats * beatS - this.context.currentTime) * 1000);
      signal?.addEventListener("abort", () => {
        [...timers, done].forEach(clearTimeout);
        reject(new DOMException("count-in cancelled", "AbortError"));
      });
    });
  }

  /** Starts recording (the microphone must be open). */
  start() {
    const type = recordingType((candidate) => MediaRecorder.isTypeSupported(candidate));
    this.pieces = [];
    this.mediaRecorder = new MediaRecorder(this.stream, type ? { mimeType: type } : undefined);
    this.mediaRecorder.addEventListener("dataavailable", (event) => {
      if (event.data.size) {
        this.pieces.push(event.data);
      }
    });
    this.mediaRecorder.start(250);
  }

  get recording() {
    return this.mediaRecorder?.state === "recording";
  }

  /** Stops recording; resolves with the recording as a Blob of the recorder's type. */
  stop() {
    const recorder = this.mediaRecorder;
    if (!recorder || recorder.state === "inactive") {
      return Promise.resolve(null);
    }
    return new Promise((resolve) => {
      recorder.addEventListener(
        "stop",
        () => resolve(new Blob(this.pieces, { type: recorder.mimeType || "audio/webm" })),
        { once: true },
      );
      recorder.stop();
    });
  }

  /** Closes the microphone (the browser's recording indicator goes off). */
  close() {
    this.source?.disconnect();
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.source = null;
    this.analyser = null;
  }
}
