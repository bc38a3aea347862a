import { Writable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { z } from 'zod';
import { isRetryableDbError } from '../db/retry.js';
import type { RecordFilter } from '../query/recordFilter.js';
import { TAIL_BUFFER_BYTES, type TailEnd, type TailOwner, type TailWire } from '../search/tail.js';
import { requestOwner, type AuthControl } from './auth.js';
import { AppError } from './errors.js';

/** How long a WebSocket opened without a key in its headers has to send it. */
export const KEY_MESSAGE_TIMEOUT_MS = 5_000;
/** Sockets of this process waiting for their key message at once; each costs a socket and nothing more, but not without bound. */
const MAX_AWAITING_KEY = 100;
/** RFC 6455 5.5: a control frame holds 125 bytes, two of them the close code. */
const CLOSE_REASON_BYTES = 123;

/** Close codes: 4000 + the HTTP status the same refusal has as an answer to a request; 1001 at shutdown, 1011 for a bug. */
const closeCode = (status: number): number => 4000 + status;
const INTERNAL_ERROR = 1011;

/** How a stream the server ends is closed, after its last event (`revoked`) when it has one. */
const END_CLOSE: Record<TailEnd, { code: number; reason: string }> = {
  revoked: { code: closeCode(401), reason: 'the API key of this stream was revoked' },
  shutdown: { code: 1001, reason: 'the server is shutting down' },
};

const authMessage = z.object({ type: z.literal('auth'), key: z.string() });

const AUTH_MESSAGE_FORM = '{"type":"auth","key":"<API key>"}';

/** One event as one WebSocket text message: `{"type": event, …}`, a record under `record` so that none of its fields can clash with `type`. */
export function webSocketMessage(event: string, data: unknown): string {
  return JSON.stringify(event === 'record' ? { type: event, record: data } : { type: event, ...(data as object) });
}

/**
 * The tail's events as WebSocket messages, through a Writable that plays the part the SSE
 * PassThrough plays: what is buffered goes to the socket together, and the next batch waits until the
 * socket has taken the last message of this one (ws calls back then). A client that stops reading
 * therefore fills this buffer, and write() says so, as for SSE. (ws's bufferedAmount says how much
 * waits too, but no event tells when it falls.)
 */
export function webSocketWire(ws: WebSocket): TailWire {
  let closing = END_CLOSE.shutdown;
  const stream = new Writable({
    highWaterMark: TAIL_BUFFER_BYTES,
    decodeStrings: false,
    writev(chunks, done) {
      // A failed send means the socket is going: its 'close' destroys this stream, so no error is raised here.
      chunks.forEach(({ chunk }, i) => ws.send(chunk as string, i === chunks.length - 1 ? () => done() : undefined));
    },
    final(done) {
      ws.close(closing.code, closing.reason);
      done();
    },
    destroy(err, done) {
      // Cut without a close handshake only while open: a client that stopped reading would never answer it.
      // After final, ws runs the handshake and closes the socket itself.
      if (ws.readyState === ws.OPEN) ws.terminate();
      done(err);
    },
  });
  ws.once('close', () => stream.destroy());
  if (ws.readyState !== ws.OPEN) stream.destroy();
  return {
    stream,
    frame: webSocketMessage,
    heartbeat: () => {
      if (ws.readyState === ws.OPEN) ws.ping();
      return null;
    },
    end: (last, why) => {
      closing = END_CLOSE[why];
      stream.end(last);
    },
  };
}

/** The key of a first message `{"type":"auth","key":…}`; undefined for any other message. */
export function keyOfAuthMessage(text: string): string | undefined {
  try {
    const parsed = authMessage.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The page origins whose WebSockets are accepted: this service's own, and CORS_ORIGINS. A browser
 * opens a WebSocket to any origin without asking CORS, so a page elsewhere could otherwise read the
 * tail where no key is needed (AUTH_DISABLED). Clients that are not browsers send no Origin.
 */
export function originAllowed(origin: string | undefined, host: string, corsOrigins: readonly string[]): boolean {
  if (origin === undefined || corsOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** A text message's text (ws hands it over as bytes: one Buffer, or fragments). */
function textOf(data: RawData): string {
  const bytes = data instanceof ArrayBuffer ? Buffer.from(data) : Array.isArray(data) ? Buffer.concat(data) : data;
  return bytes.toString('utf8');
}

/** A close reason that fits a close frame. */
function clip(reason: string): string {
  let clipped = reason.slice(0, CLOSE_REASON_BYTES);
  while (Buffer.byteLength(clipped) > CLOSE_REASON_BYTES) clipped = clipped.slice(0, -1);
  return clipped;
}

export interface TailSocketDeps {
  auth: Pick<AuthControl, 'authenticate'>;
  authDisabled: boolean;
  /** Opens the stream, or throws the AppError a request would get (429 for the key, 503 for the server). */
  subscribe: (filter: RecordFilter, owner: TailOwner, wire: TailWire) => Promise<unknown>;
}

type KeyMessage = { key: string } | { problem: string } | { closed: true };

/**
 * The WebSocket side of GET /logs/tail, for a socket already upgraded with its filter validated. A
 * socket whose request had no key (a browser cannot set headers here) must send it first, within
 * KEY_MESSAGE_TIMEOUT_MS; it is checked by the same code as a header key, failure limit included.
 * Every refusal closes with 4000 + the HTTP status and a reason.
 */
export function tailSocketHandler(deps: TailSocketDeps): (ws: WebSocket, req: FastifyRequest, filter: RecordFilter) => Promise<void> {
  let awaitingKey = 0;

  /** Resolves with the first message's key; listens at once, as a message may come before any await returns. */
  function keyMessage(ws: WebSocket): Promise<KeyMessage> {
    return new Promise((resolve) => {
      const done = (answer: KeyMessage): void => {
        clearTimeout(timer);
        ws.off('message', onMessage);
        ws.off('close', onClose);
        resolve(answer);
      };
      const onMessage = (data: RawData, isBinary: boolean): void => {
        const key = isBinary ? undefined : keyOfAuthMessage(textOf(data));
        done(key === undefined ? { problem: `the first message must be ${AUTH_MESSAGE_FORM}` } : { key });
      };
      const onClose = (): void => done({ closed: true });
      const timer = setTimeout(() => done({ problem: `no key: send ${AUTH_MESSAGE_FORM} first, within ${KEY_MESSAGE_TIMEOUT_MS / 1000} s` }),
        KEY_MESSAGE_TIMEOUT_MS);
      ws.on('message', onMessage);
      ws.once('close', onClose);
    });
  }

  function refuse(ws: WebSocket, req: FastifyRequest, err: unknown, reason401?: string): void {
    if (ws.readyState !== ws.OPEN) return;
    if (err instanceof AppError) {
      ws.close(closeCode(err.status), clip(err.status === 401 ? (reason401 ?? 'a valid API key is required') : err.message));
    } else if (isRetryableDbError(err)) {
      req.log.warn({ err }, 'live tail WebSocket: database unavailable');
      ws.close(closeCode(503), 'the database is not reachable right now; retry shortly');
    } else {
      req.log.error({ err }, 'live tail WebSocket failed');
      ws.close(INTERNAL_ERROR, 'internal error');
    }
  }

  /** Who the socket's stream belongs to, once its key checks out; undefined when it was refused (and closed) or left. */
  async function authenticate(ws: WebSocket, req: FastifyRequest): Promise<TailOwner | undefined> {
    if (req.apiKey || deps.authDisabled) return requestOwner(req);
    if (awaitingKey >= MAX_AWAITING_KEY) {
      ws.close(closeCode(503), 'too many connections are waiting to send their key; retry shortly');
      return undefined;
    }
    awaitingKey++;
    let message: KeyMessage;
    try {
      message = await keyMessage(ws);
    } finally {
      awaitingKey--;
    }
    if ('closed' in message) return undefined;
    try {
      // A missing key is checked too: it counts as a failed authentication of the address, as for a request.
      req.apiKey = await deps.auth.authenticate('key' in message ? message.key : undefined, req.ip, 'read');
    } catch (err) {
      refuse(ws, req, err, 'problem' in message ? message.problem : undefined);
      return undefined;
    }
    return requestOwner(req);
  }

  return async (ws, req, filter) => {
    const opened = Date.now();
    ws.once('close', (code: number, reason: Buffer) => {
      req.log.info({ code, reason: String(reason), duration_ms: Date.now() - opened }, 'live tail WebSocket closed');
    });
    const owner = await authenticate(ws, req);
    if (!owner || ws.readyState !== ws.OPEN) return;
    try {
      await deps.subscribe(filter, owner, webSocketWire(ws));
    } catch (err) {
      refuse(ws, req, err);
    }
  };
}
