// The REST client's error handling and streams, and what a person is told about each
// error (run by tests/web/test_page_modules.py). The fetches here are local Responses:
// what the gateway answers is checked in tests/mesh/test_studio_page.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, errorOfEvent, errorOfResponse, GrpcCode, jsonLines } from "../../../web/js/api.js";
import { describeError } from "../../../web/js/errors.js";

function streamOf(...pieces) {
  return new ReadableStream({
    start(controller) {
      pieces.forEach((piece) => controller.enqueue(new TextEncoder().encode(piece)));
      controller.close();
    },
  });
}

test("newline-delimited JSON is read across arbitrary piece boundaries", async () => {
  const events = [];
  for await (const event of jsonLines(streamOf('{"melody":', '{}}\n{"progress":{"fraction":0.5}}\n\n{"ta', 'ke":{}}'))) {
    events.push(event);
  }
  assert.deepEqual(events, [{ melody: {} }, { progress: { fraction: 0.5 } }, { take: {} }]);
});

test("the service's JSON error keeps its code and message", async () => {
  const reply = new Response('{"code":9,"message":"no melody was found"}', { status: 400 });
  const error = await errorOfResponse(reply);
  assert.equal(error.status, 400);
  assert.equal(error.code, GrpcCode.FAILED_PRECONDITION);
  assert.equal(error.message, "no melody was found");
});

test("the gateway's plain-text 413 and 429 get the matching code", async () => {
  const tooBig = await errorOfResponse(new Response("Payload Too Large", { status: 413 }));
  assert.deepEqual([tooBig.status, tooBig.message], [413, "Payload Too Large"]);
  const tooMany = await errorOfResponse(new Response("local_rate_limited", { status: 429 }));
  assert.equal(tooMany.code, GrpcCode.RESOURCE_EXHAUSTED);
});

test("an error event inside a stream becomes the HTTP status the gateway would give", () => {
  const error = errorOfEvent({ code: 14, message: "the synth service is unavailable" });
  assert.deepEqual([error.status, error.code], [503, 14]);
});

test("every error the API gives is told in words a person can act on", () => {
  const cases = [
    [new ApiError("no melody was found in the audio", { status: 400, code: 9 }), /No tune/],
    [new ApiError("Payload Too Large", { status: 413 }), /too big/],
    [new ApiError("local_rate_limited", { status: 429 }), /Too many takes/],
    [new ApiError("not serving: synth", { status: 503, code: 14 }), /service is down/],
    [new ApiError("take not found", { status: 404, code: 5 }), /Not found/],
    [new ApiError("missing client key", { status: 401 }), /client key/],
    [new ApiError("Failed to fetch", { network: true }), /cannot reach/],
    [new ApiError("deadline", { status: 504, code: 4 }), /too long/],
    [new ApiError("unknown voice 'x'", { status: 400, code: 3 }), /could not use/],
  ];
  for (const [error, title] of cases) {
    const told = describeError(error);
    assert.match(told.title, title, error.message);
    assert.equal(told.detail, error.message);
  }
});

test("a big upload that is cut off is told as a size problem", () => {
  const told = describeError(new ApiError("Failed to fetch", { network: true }), {
    upload: true,
    uploadBytes: 12e6,
  });
  assert.match(told.title, /too big/);
});

test("an upload past the service's own limits is told as too big or too long", () => {
  // The studio's refusals are INVALID_ARGUMENT (400), like any bad input: its words tell.
  const cases = [
    ["the upload is 10.5 MB; the limit is 10.0 MB", /too big/],
    ["the upload is over the limit of 10.0 MB", /too big/],
    ["the audio is 312.0 s long; the limit is 300 s", /too long/],
    ["the audio is at least 301.0 s long; the limit is 300 s", /too long/],
    ["could not decode the upload as audio: it has no audio stream", /not audio the service can read/],
    ["the recording is too short: 200 ms long; a melody needs at least 250 ms", /too short/],
    ["'seed' must be a whole number from 0 to 4294967295, not \"-1\"", /could not use/],
  ];
  for (const [message, title] of cases) {
    const told = describeError(new ApiError(message, { status: 400, code: GrpcCode.INVALID_ARGUMENT }), {
      upload: true,
    });
    assert.match(told.title, title, message);
    assert.equal(told.detail, message);
  }
});

test("a refusal for too much work says which, and how long to wait when the reply says", async () => {
  const limited = await errorOfResponse(
    new Response('{"code":8,"message":"local_rate_limited"}', { status: 429, headers: { "retry-after": "12" } }),
  );
  assert.equal(limited.retryAfterS, 12);
  const toldLimited = describeError(limited);
  assert.match(toldLimited.title, /Too many takes/);
  assert.match(toldLimited.hint, /in 12 s/);

  const busy = await errorOfResponse(
    new Response('{"code":8,"message":"the studio is busy: 4 takes are being made and 64 wait"}', {
      status: 429,
      headers: { "retry-after": "7.2" },
    }),
  );
  const toldBusy = describeError(busy);
  assert.match(toldBusy.title, /busy/);
  assert.match(toldBusy.hint, /in 8 s/);

  const inStream = describeError(errorOfEvent({ code: 8, message: "the synth service is busy: 2 jobs" }));
  assert.match(inStream.title, /busy/);
  assert.match(inStream.hint, /Wait a little/);
});
