// Reading a WAV file as its bytes arrive: the stream endpoints send one WAV file in
// pieces (`audio_chunk` events), and the page plays each piece as soon as it has it.
//
// Only what the synth writes and what any PCM WAV may hold: RIFF/WAVE, a "fmt " chunk of
// 8-, 16-, 24- or 32-bit integer PCM or 32-bit float, any number of channels (mixed to
// mono), other chunks skipped, the "data" chunk read as it grows.
// Format: Microsoft/IBM "Multimedia Programming Interface and Data Specifications 1.0"
// (1991), the RIFF WAVE chapter; WAVE_FORMAT_IEEE_FLOAT = 3, WAVE_FORMAT_EXTENSIBLE = 0xFFFE.

const PCM = 1;
const IEEE_FLOAT = 3;
const EXTENSIBLE = 0xfffe;

export class WavFormatError extends Error {}

/** Turns the pieces of a WAV file, in order, into mono float samples in [-1, 1]. */
export class WavStreamDecoder {
  constructor() {
    this.pending = new Uint8Array(0);
    this.headerDone = false;
    this.sampleRateHz = 0;
    this.channels = 0;
    this.bitsPerSample = 0;
    this.formatTag = 0;
    /** Frames the data chunk holds, as its header says (0 when it does not say). */
    this.totalFrames = 0;
    this.framesDecoded = 0;
  }

  /** Bytes of one frame (a sample of every channel). */
  get frameBytes() {
    return (this.bitsPerSample / 8) * this.channels;
  }

  /**
   * Takes the next bytes of the file; returns the samples they complete (a Float32Array,
   * maybe empty). Throws WavFormatError for a file that is not a PCM WAV.
   */
  push(bytes) {
    this.pending = concat(this.pending, bytes);
    if (!this.headerDone && !this.readHeader()) {
      return new Float32Array(0);
    }
    const frames = Math.floor(this.pending.length / this.frameBytes);
    const usable = frames * this.frameBytes;
    const samples = this.decodeFrames(this.pending.subarray(0, usable), frames);
    this.pending = this.pending.slice(usable);
    this.framesDecoded += frames;
    return samples;
  }

  /** Reads the chunks before "data" once they have all arrived; false while incomplete. */
  readHeader() {
    const bytes = this.pending;
    if (bytes.length < 12) {
      return false;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (ascii(bytes, 0, 4) !== "RIFF" || ascii(bytes, 8, 4) !== "WAVE") {
      throw new WavFormatError("the audio is not a WAV file");
    }
    let offset = 12;
    while (offset + 8 <= bytes.length) {
      const id = ascii(bytes, offset, 4);
      const size = view.getUint32(offset + 4, true);
      if (id === "data") {
        if (!this.sampleRateHz) {
          throw new WavFormatError("the WAV file has no format chunk before its data");
        }
        this.totalFrames = size === 0xffffffff ? 0 : Math.floor(size / this.frameBytes);
        this.pending = bytes.slice(offset + 8);
        this.headerDone = true;
        return true;
      }
      const next = offset + 8 + size + (size % 2); // chunks are padded to even sizes
      if (next > bytes.length) {
        return false;
      }
      if (id === "fmt ") {
        this.readFormat(view, offset + 8, size);
      }
      offset = next;
    }
    return false;
  }

  readFormat(view, start, size) {
    if (size < 16) {
      throw new WavFormatError("the WAV format chunk is too short");
    }
    let formatTag = view.getUint16(start, true);
    this.channels = view.getUint16(start + 2, true);
    this.sampleRateHz = view.getUint32(start + 4, true);
    this.bitsPerSample = view.getUint16(start + 14, true);
    if (formatTag === EXTENSIBLE && size >= 26) {
      formatTag = view.getUint16(start + 24, true); // the sub-format GUID's first two bytes
    }
    const supported =
      (formatTag === PCM && [8, 16, 24, 32].includes(this.bitsPerSample)) ||
      (formatTag === IEEE_FLOAT && this.bitsPerSample === 32);
    if (!supported || this.channels < 1 || this.sampleRateHz < 1) {
      throw new WavFormatError(
        `unsupported WAV encoding (format ${formatTag}, ${this.bitsPerSample} bits)`,
      );
    }
    this.formatTag = formatTag;
  }

  decodeFrames(bytes, frames) {
    const out = new Float32Array(frames);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const width = this.bitsPerSample / 8;
    for (let frame = 0; frame < frames; frame += 1) {
      let sum = 0;
      for (let channel = 0; channel < this.channels; channel += 1) {
        sum += this.sampleAt(view, (frame * this.channels + channel) * width);
      }
      out[frame] = sum / this.channels;
    }
    return out;
  }

  sampleAt(view, offset) {
    if (this.formatTag === IEEE_FLOAT) {
      return view.getFloat32(offset, true);
    }
    switch (this.bitsPerSample) {
      case 8:
        return (view.getUint8(offset) - 128) / 128; // 8-bit WAV is unsigned
      case 16:
        return view.getInt16(offset, true) / 32768;
      case 24: {
        const value =
          view.getUint8(offset) | (view.getUint8(offset + 1) << 8) | (view.getInt8(offset + 2) << 16);
        return value / 8388608;
      }
      default:
        return view.getInt32(offset, true) / 2147483648;
    }
  }
}

function concat(a, b) {
  if (a.length === 0) {
    return b instanceof Uint8Array ? b : new Uint8Array(b);
  }
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}

function ascii(bytes, start, length) {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

/** The bytes of a base64 string (the JSON form of protobuf `bytes`). */
export function base64ToBytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}
