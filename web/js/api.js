// The studio's only way to the service: the documented REST API behind the gateway.
//
// Errors come back as ApiError with the HTTP status and the gRPC code of the service's
// JSON error ({"code": 3, "message": "..."}); replies that are not JSON (the gateway's own
// 413 and 429) keep their status and text. When the gateway asks for a client key (a 401),
// the page is asked for one (once; it is kept in the browser) and the request is sent again.

/** Where the client key is kept in the browser (localStorage). */
export const KEY_STORAGE_NAME = "expert-music-ai.client-key";

/** gRPC status codes (google.rpc.Code) the page tells apart. */
export const GrpcCode = Object.freeze({
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
});

/** The HTTP status the gateway gives each gRPC code (for errors inside a stream). */
const HTTP_STATUS_OF_CODE = {
  1: 499,
  3: 400,
  4: 504,
  5: 404,
  7: 403,
  8: 429,
  9: 400,
  11: 400,
  13: 500,
  14: 503,
  16: 401,
};

/** The gRPC code that goes with an HTTP status, for replies without one. */
const CODE_OF_HTTP_STATUS = {
  400: GrpcCode.INVALID_ARGUMENT,
  401: GrpcCode.UNAUTHENTICATED,
  403: GrpcCode.PERMISSION_DENIED,
  404: GrpcCode.NOT_FOUND,
  413: GrpcCode.INVALID_ARGUMENT,
  429: GrpcCode.RESOURCE_EXHAUSTED,
  503: GrpcCode.UNAVAILABLE,
  504: GrpcCode.DEADLINE_EXCEEDED,
};

export class ApiError extends Error {
  /**
   * @param {string} message what the service said
   * @param {{status?: number, code?: number, network?: boolean, retryAfterS?: number}} details
   *   HTTP status (0 when no reply came), gRPC code, whether the request never got an
   *   answer, the seconds the reply's `retry-after` asks to wait (0 = none given)
   */
  constructor(message, { status = 0, code = 0, network = false, retryAfterS = 0 } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code || CODE_OF_HTTP_STATUS[status] || 0;
    this.network = network;
    this.retryAfterS = retryAfterS;
  }
}

/** The ApiError a failed reply stands for (its JSON error, or its text). */
export async function errorOfResponse(response) {
  const text = await response.text().catch(() => "");
  let message = text.trim();
  let code = 0;
  try {
    const body = JSON.parse(text);
    if (body && typeof body.message === "string") {
      message = body.message;
      code = Number(body.code) || 0;
    }
  } catch {
    // Not JSON: the gateway's own replies (413 "Payload Too Large", 429 "local_rate_limited").
  }
  // retry-after in seconds (the gateway's rate limit and the studio's full queue send it).
  const retryAfterS = Number(response.headers.get("retry-after"));
  return new ApiError(message || response.statusText || `HTTP ${response.status}`, {
    status: response.status,
    code,
    retryAfterS: Number.isFinite(retryAfterS) && retryAfterS > 0 ? Math.ceil(retryAfterS) : 0,
  });
}

/** The ApiError of a stream's final `error` event ({"code": 14, "message": "..."}). */
export function errorOfEvent(error) {
  const code = Number(error.code) || GrpcCode.INTERNAL;
  return new ApiError(error.message || "the service failed", {
    status: HTTP_STATUS_OF_CODE[code] ?? 500,
    code,
  });
}

/** Parses newline-delimited JSON from a byte stream, one object per line. */
export async function* jsonLines(stream) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        break;
      }
      buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) {
          yield JSON.parse(line);
        }
        newline = buffered.indexOf("\n");
      }
    }
    buffered += decoder.decode();
    if (buffered.trim()) {
      yield JSON.parse(buffered);
    }
  } finally {
    reader.releaseLock();
  }
}

export class Api {
  /**
   * @param {object} options
   * @param {string} [options.baseUrl] the gateway ("" = the page's own origin)
   * @param {Storage} [options.keyStore] where the client key is kept
   * @param {(why: {refused: boolean, message: string}) => Promise<string|null>} [options.askForKey]
   *   asks the person for a client key; null when they give none
   */
  constructor({ baseUrl = "", keyStore = null, askForKey = null } = {}) {
    this.baseUrl = baseUrl;
    this.keyStore = keyStore;
    this.askForKey = askForKey;
  }

  get key() {
    return this.keyStore?.getItem(KEY_STORAGE_NAME) ?? "";
  }

  set key(value) {
    if (!this.keyStore) {
      return;
    }
    if (value) {
      this.keyStore.setItem(KEY_STORAGE_NAME, value);
    } else {
      this.keyStore.removeItem(KEY_STORAGE_NAME);
    }
  }

  /** The fetch Response of a request that succeeded (2xx); throws ApiError otherwise. */
  async fetch(path, init = {}) {
    for (;;) {
      const headers = new Headers(init.headers ?? {});
      if (this.key) {
        headers.set("Authorization", `Bearer ${this.key}`);
      }
      let response;
      try {
        response = await fetch(this.baseUrl + path, { ...init, headers });
      } catch (error) {
        if (error.name === "AbortError") {
          throw error;
        }
        throw new ApiError(error.message || "no answer", { network: true });
      }
      if (response.status === 401 && this.askForKey) {
        const refused = Boolean(this.key);
        const error = await errorOfResponse(response);
        const key = await this.askForKey({ refused, message: error.message });
        if (!key) {
          throw error;
        }
        this.key = key;
        continue;
      }
      if (!response.ok) {
        throw await errorOfResponse(response);
      }
      return response;
    }
  }

  async json(path, init = {}) {
    const response = await this.fetch(path, init);
    return response.json();
  }

  postJson(path, payload, init = {}) {
    return this.json(path, {
      ...init,
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
  }

  async bytes(path, init = {}) {
    const response = await this.fetch(path, init);
    return response.arrayBuffer();
  }

  async blob(path, init = {}) {
    const response = await this.fetch(path, init);
    return response.blob();
  }

  /**
   * The events of a streaming call (newline-delimited JSON), in order. A final `error`
   * event is thrown as ApiError.
   */
  async *events(path, init = {}) {
    const response = await this.fetch(path, init);
    for await (const event of jsonLines(response.body)) {
      if (event.error) {
        throw errorOfEvent(event.error);
      }
      yield event;
    }
  }
}
