// api.js — mrswarm's REST API as seen from the browser: JSON calls, NDJSON
// streams read with fetch + ReadableStream, and the bearer token of this
// browser session (sessionStorage, sent as a header, never in a URL).

const TOKEN_KEY = 'mrswarm.token';

// gRPC code numbers as the gateway writes them in error bodies.
const CODES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound',
  'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted',
  'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];

/** ApiError is a failed call: HTTP status, gRPC code name and the server's message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  static async from(res) {
    let body = {};
    try { body = await res.json(); } catch { /* not JSON */ }
    const code = typeof body.code === 'number' ? CODES[body.code] || String(body.code) : res.statusText;
    return new ApiError(res.status, code, body.message || `${res.status} ${res.statusText}`);
  }
}

/** Terminal run statuses: a run in one of them emits no more events. */
export const TERMINAL = new Set(['RUN_STATUS_SUCCEEDED', 'RUN_STATUS_FAILED', 'RUN_STATUS_PARTIALLY_FAILED',
  'RUN_STATUS_CANCELED', 'RUN_STATUS_INTERRUPTED']);

/** enc escapes one path segment. */
export const enc = encodeURIComponent;

/**
 * Api calls the server. askToken(invalid) asks the user for a token and
 * resolves to it, or to null when they decline.
 */
export class Api {
  constructor(askToken) {
    this.askToken = askToken;
  }

  get token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
  forgetToken() { sessionStorage.removeItem(TOKEN_KEY); }

  /** fetch sends one request with the token; a 401 asks for a token and retries. */
  async fetch(path, init = {}) {
    for (;;) {
      const headers = new Headers(init.headers);
      if (this.token) headers.set('Authorization', `Bearer ${this.token}`);
      const res = await fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store' });
      if (res.status !== 401) {
        if (!res.ok) throw await ApiError.from(res);
        return res;
      }
      const token = await this.askToken(this.token !== '');
      if (!token) throw await ApiError.from(res);
      sessionStorage.setItem(TOKEN_KEY, token);
    }
  }

  async get(path, init) { return (await this.fetch(path, init)).json(); }

  async send(method, path, body) {
    const res = await this.fetch(path, {
      method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}),
    });
    return res.json();
  }

  post(path, body) { return this.send('POST', path, body); }

  /** upload sends a file as a new dataset (POST /v1/datasets/{name}:upload). */
  async upload(name, file) {
    const q = new URLSearchParams({ filename: file.name });
    const res = await this.fetch(`/v1/datasets/${enc(name)}:upload?${q}`, {
      method: 'POST', headers: { 'Content-Type': file.type || 'application/octet-stream' }, body: file,
    });
    return res.json();
  }

  /** stream yields the messages of a server stream (NDJSON, one {"result"} per line). */
  async *stream(path, signal) {
    const res = await this.fetch(path, { signal });
    for await (const msg of ndjson(res.body)) {
      if (msg.error) throw new ApiError(res.status, CODES[msg.error.code] || 'Unknown', msg.error.message);
      yield msg.result;
    }
  }

  /**
   * watch yields a run's events after afterSeq until the run finishes. A
   * dropped connection re-attaches from the last event seen, with back-off;
   * onLink(state, seq) hears "live", "reconnecting" and "done".
   */
  async *watch(runId, afterSeq, signal, onLink = () => {}) {
    let seq = afterSeq;
    for (let attempt = 0; ; attempt++) {
      try {
        onLink('live', seq);
        for await (const ev of this.stream(`/v1/runs/${enc(runId)}/events?after_seq=${seq}`, signal)) {
          seq = Number(ev.seq);
          attempt = 0;
          yield ev;
          if (ev.type === 'EVENT_TYPE_RUN_FINISHED') { onLink('done', seq); return; }
        }
        const run = await this.get(`/v1/runs/${enc(runId)}`, { signal });
        if (TERMINAL.has(run.status)) { onLink('done', seq); return; }
      } catch (err) {
        if (signal?.aborted) return;
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) throw err;
      }
      onLink('reconnecting', seq);
      await sleep(Math.min(8000, 500 * 2 ** attempt), signal);
      if (signal?.aborted) return;
    }
  }

  /** csv returns a whole result as a CSV blob (GET .../stream?format=csv, one request). */
  async csv(handle) {
    const res = await this.fetch(`/v1/results/${enc(handle)}/stream?format=csv`);
    return res.blob();
  }

  /**
   * optional fetches a resource another part of the server may not offer yet
   * (charts, the HTML report): it resolves to the response when it answers
   * with the wanted content type, and to null otherwise.
   */
  async optional(path, wantType) {
    try {
      const res = await this.fetch(path);
      return (res.headers.get('Content-Type') || '').startsWith(wantType) ? res : null;
    } catch (err) {
      if (err instanceof ApiError) return null;
      throw err;
    }
  }
}

/** ndjson yields the JSON values of a newline-delimited byte stream. */
export async function* ndjson(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) yield JSON.parse(line);
      }
    }
    if (buf.trim()) yield JSON.parse(buf);
  } finally {
    reader.releaseLock();
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}
