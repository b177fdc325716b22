// Playback through the Web Audio API: the sung take (while it streams in and once it is
// whole), the original recording, or both together, with a position a playhead follows.
//
// Web Audio rather than <audio>: the pieces of a streamed WAV play the moment they
// arrive, the recording and the vocal start on the same clock, and nothing needs a URL
// (so requests can carry a client key and no media-src CSP exception is needed).

/** Seconds between scheduling a piece and its start: room for the audio thread. */
const SCHEDULE_AHEAD_S = 0.05;
/** The recording under the vocal when both play: quieter, so the words stay clear. */
const RECORDING_GAIN_UNDER_VOCAL = 0.5;
/** The rate audio is decoded at before the page has a live audio context. */
const DECODE_RATE_HZ = 48_000;

export const Tracks = Object.freeze({ VOCAL: "vocal", RECORDING: "recording", BOTH: "both" });

/**
 * Events: "statechange" (playing or not), "firstaudio" (the first streamed piece is
 * scheduled), "ended".
 */
export class Transport extends EventTarget {
  constructor() {
    super();
    this.context = null;
    this.buffers = { vocal: null, recording: null };
    this.listen = Tracks.VOCAL;
    /** What plays now: [{node, gain, when (context s), mediaS, durationS}]. */
    this.segments = [];
    this.pausedAtS = 0;
    this.playing = false;
    /** A vocal that is still arriving: its pieces and how far they reach. */
    this.stream = null;
    this.offlineDecoder = null;
  }

  /** The audio context; call from a click or key handler the first time (autoplay rules). */
  ensureContext() {
    if (!this.context) {
      this.context = new AudioContext();
    }
    if (this.context.state === "suspended") {
      this.context.resume();
    }
    return this.context;
  }

  /** Sets the decoded audio of a track (null to forget it). */
  setBuffer(track, buffer) {
    if (track === Tracks.VOCAL && this.stream) {
      this.stream = null;
    }
    this.buffers[track] = buffer;
    this.dispatchEvent(new Event("statechange"));
  }

  /** Length of what `listen` selects, in seconds (the longer one for both). */
  get durationS() {
    const vocal = this.stream ? this.stream.totalS : (this.buffers.vocal?.duration ?? 0);
    const recording = this.buffers.recording?.duration ?? 0;
    if (this.listen === Tracks.RECORDING) {
      return recording;
    }
    return this.listen === Tracks.BOTH ? Math.max(vocal, recording) : vocal;
  }

  get canPlay() {
    return this.durationS > 0;
  }

  /** Where playback is (or was paused), in seconds from the start of the take. */
  get positionS() {
    if (!this.playing || !this.context) {
      return this.pausedAtS;
    }
    if (!this.segments.length) {
      // Waiting for the next streamed piece: the vocal has played as far as it arrived.
      return this.stream ? this.stream.receivedS : this.pausedAtS;
    }
    const now = this.context.currentTime;
    let position = null;
    for (const segment of this.segments) {
      if (segment.when <= now) {
        const into = Math.min(now - segment.when, segment.durationS);
        position = Math.max(position ?? 0, segment.mediaS + into);
      }
    }
    return position ?? this.segments.reduce((low, s) => Math.min(low, s.mediaS), Infinity);
  }

  /**
   * Decodes an encoded file (WAV, FLAC, WebM/Opus, MP4/AAC...) into an AudioBuffer. It
   * needs no live context (an AudioBuffer plays in any), so a take opened from a link
   * loads without waiting for a click.
   */
  async decode(arrayBuffer) {
    const decoder =
      this.context ?? (this.offlineDecoder ??= new OfflineAudioContext(1, 1, DECODE_RATE_HZ));
    return decoder.decodeAudioData(arrayBuffer);
  }

  play(fromS = this.pausedAtS) {
    const context = this.ensureContext();
    this.stopSegments();
    const start = fromS >= this.durationS - 0.01 ? 0 : Math.max(0, fromS);
    const when = context.currentTime + SCHEDULE_AHEAD_S;
    this.playing = true;
    if (this.listen !== Tracks.RECORDING) {
      if (this.stream) {
        this.scheduleStreamFrom(start, when);
      } else if (this.buffers.vocal) {
        this.startBuffer(this.buffers.vocal, start, when, 1);
      }
    }
    if (this.listen !== Tracks.VOCAL && this.buffers.recording) {
      const gain = this.listen === Tracks.BOTH ? RECORDING_GAIN_UNDER_VOCAL : 1;
      this.startBuffer(this.buffers.recording, start, when, gain);
    }
    if (!this.segments.length) {
      this.playing = false;
      this.pausedAtS = start;
    }
    this.dispatchEvent(new Event("statechange"));
  }

  pause() {
    if (!this.playing) {
      return;
    }
    this.pausedAtS = this.positionS;
    this.stopSegments();
    this.playing = false;
    this.dispatchEvent(new Event("statechange"));
  }

  toggle() {
    if (this.playing) {
      this.pause();
    } else {
      this.play();
    }
  }

  seek(seconds) {
    const target = Math.min(Math.max(0, seconds), this.durationS);
    if (this.playing) {
      this.play(target);
    } else {
      this.pausedAtS = target;
      this.dispatchEvent(new Event("statechange"));
    }
  }

  setListen(track) {
    const wasPlaying = this.playing;
    const position = this.positionS;
    this.pause();
    this.listen = track;
    this.pausedAtS = Math.min(position, this.durationS);
    if (wasPlaying) {
      this.play(this.pausedAtS);
    }
    this.dispatchEvent(new Event("statechange"));
  }

  /** Stops everything and forgets the position. */
  stop() {
    this.stopSegments();
    this.playing = false;
    this.pausedAtS = 0;
    this.dispatchEvent(new Event("statechange"));
  }

  // ---- a vocal that is still arriving ----

  /** Starts a streamed vocal: it plays from its first piece on, as the pieces come. */
  beginStream(sampleRateHz, totalFrames) {
    this.stop();
    this.buffers.vocal = null;
    this.listen = Tracks.VOCAL;
    this.stream = {
      sampleRateHz,
      totalS: totalFrames / sampleRateHz,
      pieces: [], // [{samples, mediaS}]
      receivedS: 0,
      started: false,
    };
    this.playing = true;
    this.dispatchEvent(new Event("statechange"));
  }

  /** The next samples of the streamed vocal (mono floats at the stream's rate). */
  pushStream(samples) {
    const stream = this.stream;
    if (!stream || samples.length === 0) {
      return;
    }
    const piece = { samples, mediaS: stream.receivedS };
    stream.pieces.push(piece);
    stream.receivedS += samples.length / stream.sampleRateHz;
    if (!this.playing) {
      return;
    }
    const context = this.ensureContext();
    const last = this.segments[this.segments.length - 1];
    // Right after the piece before it; if that has ended already (the pieces came late),
    // as soon as possible: the position follows each piece's own start time.
    const when = Math.max(
      last ? last.when + last.durationS : 0,
      context.currentTime + SCHEDULE_AHEAD_S,
    );
    this.startPiece(piece, 0, when);
    if (!stream.started) {
      stream.started = true;
      this.dispatchEvent(new Event("firstaudio"));
    }
  }

  /** The whole vocal has arrived: it becomes a buffer like any other (playback goes on). */
  endStream() {
    const stream = this.stream;
    if (!stream) {
      return null;
    }
    const frames = stream.pieces.reduce((sum, piece) => sum + piece.samples.length, 0);
    const buffer = new AudioBuffer({
      numberOfChannels: 1,
      length: Math.max(1, frames),
      sampleRate: stream.sampleRateHz,
    });
    const channel = buffer.getChannelData(0);
    let offset = 0;
    for (const piece of stream.pieces) {
      channel.set(piece.samples, offset);
      offset += piece.samples.length;
    }
    this.stream = null;
    this.buffers.vocal = buffer;
    this.dispatchEvent(new Event("statechange"));
    return buffer;
  }

  scheduleStreamFrom(startS, when) {
    let at = when;
    for (const piece of this.stream.pieces) {
      const pieceS = piece.samples.length / this.stream.sampleRateHz;
      if (piece.mediaS + pieceS <= startS) {
        continue;
      }
      const into = Math.max(0, startS - piece.mediaS);
      this.startPiece(piece, into, at);
      at += pieceS - into;
    }
  }

  startPiece(piece, intoS, when) {
    const context = this.ensureContext();
    const buffer = context.createBuffer(1, piece.samples.length, this.stream.sampleRateHz);
    buffer.copyToChannel(piece.samples, 0);
    this.startBuffer(buffer, intoS, when, 1, piece.mediaS);
  }

  startBuffer(buffer, intoS, when, gainValue, mediaStartS = 0) {
    if (intoS >= buffer.duration) {
      return;
    }
    const context = this.ensureContext();
    const node = context.createBufferSource();
    node.buffer = buffer;
    const gain = context.createGain();
    gain.gain.value = gainValue;
    node.connect(gain).connect(context.destination);
    const segment = {
      node,
      gain,
      when,
      mediaS: mediaStartS + intoS,
      durationS: buffer.duration - intoS,
    };
    node.addEventListener("ended", () => this.segmentEnded(segment));
    node.start(when, intoS);
    this.segments.push(segment);
  }

  segmentEnded(segment) {
    const index = this.segments.indexOf(segment);
    if (index < 0) {
      return; // stopped on purpose
    }
    this.segments.splice(index, 1);
    segment.gain.disconnect();
    const stillArriving = this.stream && this.stream.receivedS < this.stream.totalS - 1e-3;
    if (!this.segments.length && this.playing && !stillArriving) {
      this.playing = false;
      this.pausedAtS = 0;
      this.dispatchEvent(new Event("ended"));
      this.dispatchEvent(new Event("statechange"));
    }
  }

  stopSegments() {
    const segments = this.segments;
    this.segments = [];
    for (const segment of segments) {
      try {
        segment.node.stop();
      } catch {
        // It had not started or had ended: nothing to stop.
      }
      segment.gain.disconnect();
    }
  }
}
