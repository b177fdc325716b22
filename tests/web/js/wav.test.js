// Reading a streamed WAV file piece by piece (run by tests/web/test_page_modules.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import { base64ToBytes, WavFormatError, WavStreamDecoder } from "../../../web/js/wav.js";

/** A WAV file as the synth writes it: 44-byte header, mono 16-bit PCM. */
function wav(samples, { sampleRateHz = 22050, channels = 1, extraChunk = false } = {}) {
  const dataBytes = samples.length * 2;
  const extra = extraChunk ? 8 + 5 + 1 : 0; // a "LIST" chunk of odd size, padded
  const buffer = new ArrayBuffer(44 + extra + dataBytes);
  const view = new DataView(buffer);
  const ascii = (offset, text) => [...text].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  ascii(0, "RIFF");
  view.setUint32(4, 36 + extra + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * 2 * channels, true);
  view.setUint16(32, 2 * channels, true);
  view.setUint16(34, 16, true);
  let offset = 36;
  if (extraChunk) {
    ascii(offset, "LIST");
    view.setUint32(offset + 4, 5, true);
    offset += 14;
  }
  ascii(offset, "data");
  view.setUint32(offset + 4, dataBytes, true);
  samples.forEach((sample, i) => view.setInt16(offset + 8 + 2 * i, sample, true));
  return new Uint8Array(buffer);
}

function decodeInPieces(bytes, sizes) {
  const decoder = new WavStreamDecoder();
  const out = [];
  let start = 0;
  for (const size of sizes) {
    out.push(...decoder.push(bytes.slice(start, start + size)));
    start += size;
  }
  out.push(...decoder.push(bytes.slice(start)));
  return { decoder, out };
}

test("pieces cut anywhere, even inside the header or a sample, decode to the same samples", () => {
  const samples = [0, 16384, -16384, 32767, -32768, 8192];
  const bytes = wav(samples);
  for (const sizes of [[], [1], [20, 23, 1, 3], [45], [44, 1, 1, 1]]) {
    const { decoder, out } = decodeInPieces(bytes, sizes);
    assert.deepEqual(out, [0, 0.5, -0.5, 32767 / 32768, -1, 0.25], String(sizes));
    assert.equal(decoder.sampleRateHz, 22050);
    assert.equal(decoder.totalFrames, 6);
  }
});

test("chunks before the data are skipped; stereo is mixed to mono", () => {
  const { out } = decodeInPieces(wav([16384, 0, -16384, -16384], { channels: 2, extraChunk: true }), [30]);
  assert.deepEqual(out, [0.25, -0.5]);
});

test("a file that is not a WAV is refused", () => {
  const decoder = new WavStreamDecoder();
  assert.throws(() => decoder.push(new TextEncoder().encode("OggS and some more bytes")), WavFormatError);
});

test("base64 from protobuf JSON becomes the bytes", () => {
  assert.deepEqual([...base64ToBytes("UklGRg==")], [82, 73, 70, 70]);
});
