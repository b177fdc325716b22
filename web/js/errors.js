// What to tell a person about each error the API can give, and what they can do about it.
// The service's own message is always shown too: it names the exact cause.

import { GrpcCode } from "./api.js";

/** The upload limit the gateway has unless MAX_UPLOAD_BYTES was changed (the seed's). */
export const DEFAULT_UPLOAD_LIMIT_MB = 10;

const TOO_BIG_HINT = `The gateway takes files up to ${DEFAULT_UPLOAD_LIMIT_MB} MB unless its operator changed the limit. Send a shorter or compressed recording (mp3, ogg, m4a).`;

// The service's words for an upload past its limits (services/common/uploads.py and
// audio.py): "the upload is 10.5 MB; the limit is 10.0 MB", "the upload is over the
// limit of 10.0 MB", "the audio is 312.0 s long; the limit is 300 s". Both are
// INVALID_ARGUMENT (400), so only the words tell them from other bad input.
const UPLOAD_TOO_BIG = /\bupload is\b.*\blimit\b/i;
const AUDIO_TOO_LONG = /\baudio is\b.* s long\b.*\blimit\b/i;
// services/pitch/melody.py: "the recording is too short: 200 ms long; a melody needs at
// least ..."; services/common/audio.py: "could not decode the upload as audio ...".
const RECORDING_TOO_SHORT = /\brecording is too short\b/i;
const NOT_AUDIO = /\bcould not decode the upload as audio\b/i;

/**
 * A message for a person: {title, detail, hint}.
 * @param {Error} error an ApiError (or any error)
 * @param {{upload?: boolean, uploadBytes?: number}} [context] what was being done:
 *   `upload` when audio was being sent, with its size
 */
export function describeError(error, context = {}) {
  const detail = error?.message ?? String(error);
  if (error?.name === "AbortError") {
    return { title: "Stopped.", detail: "", hint: "" };
  }
  if (error?.network) {
    const bigUpload = context.upload && context.uploadBytes > DEFAULT_UPLOAD_LIMIT_MB * 1e6;
    return bigUpload
      ? {
          title: "The upload was cut off: the file is probably too big.",
          detail,
          hint: TOO_BIG_HINT,
        }
      : {
          title: "The studio cannot reach the service.",
          detail,
          hint: "Check that the mesh is running (make up) and that this page's address is the gateway's.",
        };
  }
  const { status, code } = error;
  const refusedInput = status === 400 || code === GrpcCode.INVALID_ARGUMENT;
  if (status === 413 || (refusedInput && UPLOAD_TOO_BIG.test(detail))) {
    return { title: "The file is too big.", detail, hint: TOO_BIG_HINT };
  }
  if (refusedInput && AUDIO_TOO_LONG.test(detail)) {
    return {
      title: "The recording is too long.",
      detail,
      hint: "Send a shorter part of it: a verse or a chorus is enough.",
    };
  }
  if (refusedInput && RECORDING_TOO_SHORT.test(detail)) {
    return {
      title: "The recording is too short.",
      detail,
      hint: "Hum or sing for a few seconds: a melody needs a few notes.",
    };
  }
  if (refusedInput && NOT_AUDIO.test(detail)) {
    return {
      title: "This file is not audio the service can read.",
      detail,
      hint: "Send a recording in a common format (wav, flac, mp3, ogg, webm, m4a), or record one here.",
    };
  }
  if (status === 429 || code === GrpcCode.RESOURCE_EXHAUSTED) {
    const wait = error.retryAfterS ? `Try again in ${error.retryAfterS} s` : "Wait a little, then try again";
    // The studio's full queue and a busy stage say "busy"; the gateway's limit per minute
    // does not (services/studio/admission.py, pipeline.py; gateway/config.py).
    return /\bbusy\b/i.test(detail)
      ? {
          title: "The service is busy with other takes.",
          detail,
          hint: `${wait}: your recording and your edits are kept.`,
        }
      : {
          title: "Too many takes were started in the last minute.",
          detail,
          hint: `The gateway limits takes per minute. ${wait}: your recording and your edits are kept.`,
        };
  }
  if (status === 401 || code === GrpcCode.UNAUTHENTICATED) {
    return {
      title: "This gateway needs a client key.",
      detail,
      hint: "Ask whoever runs it for one, then use “Client key” at the top of the page.",
    };
  }
  if (status === 403 || code === GrpcCode.PERMISSION_DENIED) {
    return { title: "This client key may not do that.", detail, hint: "" };
  }
  if (code === GrpcCode.FAILED_PRECONDITION && /melody/i.test(detail)) {
    return {
      title: "No tune was found in the recording.",
      detail,
      hint: "Hum or sing a little louder and closer to the microphone, for a few seconds, with clear notes.",
    };
  }
  if (status === 404 || code === GrpcCode.NOT_FOUND) {
    return {
      title: "Not found.",
      detail,
      hint: "Takes are kept for a limited time (a day by default); this one may have expired.",
    };
  }
  if (status === 503 || code === GrpcCode.UNAVAILABLE) {
    return {
      title: "A service is down.",
      detail,
      hint: "It usually comes back within seconds (the supervisor restarts it). Try again shortly.",
    };
  }
  if (status === 504 || code === GrpcCode.DEADLINE_EXCEEDED) {
    return {
      title: "The service took too long.",
      detail,
      hint: "Try a shorter recording, or try again when the server is less busy.",
    };
  }
  if (status === 400 || code === GrpcCode.INVALID_ARGUMENT || code === GrpcCode.FAILED_PRECONDITION) {
    return { title: "The service could not use this.", detail, hint: "" };
  }
  return {
    title: "Something went wrong in the service.",
    detail,
    hint: "Try again; if it keeps happening, the service's logs say more.",
  };
}
