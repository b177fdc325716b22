// What the page lets a person send as a recording (run by tests/web/test_page_modules.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import { notAudioProblem, recordingFileName } from "../../../web/js/recorder.js";

test("a file the browser knows is not audio is refused before it is sent, by name and type", () => {
  const problem = notAudioProblem({ name: "notes.txt", type: "text/plain" });
  assert.match(problem, /notes\.txt/);
  assert.match(problem, /text\/plain/);
  assert.notEqual(notAudioProblem({ name: "cover.png", type: "image/png" }), "");
});

test("audio, video with sound and files of unknown type are let through to the service", () => {
  for (const type of ["audio/wav", "audio/flac", "audio/x-m4a", "video/webm", "video/mp4", "application/ogg", "application/octet-stream", ""]) {
    assert.equal(notAudioProblem({ name: "hum", type }), "", type);
  }
});

test("a recording is named after the container the browser made", () => {
  assert.equal(recordingFileName("audio/webm;codecs=opus"), "hum.webm");
  assert.equal(recordingFileName("audio/mp4"), "hum.m4a");
});
