import net from 'node:net';
import { ADMIN_HEADERS } from './env.js';

export interface HeldResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** An upload over a raw socket that sends its body when told: for tests of uploads held open or left idle. */
export interface HeldUpload {
  /** Sends more of the body. */
  send(bytes: string | Buffer): void;
  /** The answer, once complete (status line, headers, a Content-Length body). */
  response: Promise<HeldResponse>;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
  destroy(): void;
}

/**
 * Starts `POST /logs/upload` on `baseUrl` with the admin key, declaring `contentLength` bytes of raw
 * body, and sends `first` of them at once. Extra headers replace the defaults (a multipart type).
 */
export function heldUpload(
  baseUrl: string, opts: { contentLength: number; first: string | Buffer; query?: string; headers?: Record<string, string> },
): HeldUpload {
  const url = new URL(baseUrl);
  const socket = net.connect(Number(url.port), url.hostname);
  const headers: Record<string, string> = {
    host: url.host, 'content-type': 'application/octet-stream', 'content-length': String(opts.contentLength),
    ...ADMIN_HEADERS, ...opts.headers,
  };
  socket.write(`POST /logs/upload${opts.query ? `?${opts.query}` : ''} HTTP/1.1\r\n`
    + Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n');
  socket.write(opts.first);
  let received = Buffer.alloc(0);
  const response = new Promise<HeldResponse>((resolve, reject) => {
    const parse = (): void => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
      const head = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(head['content-length'] ?? 0);
      if (received.length < end + 4 + length) return;
      resolve({ status: Number(statusLine!.split(' ')[1]), headers: head, body: received.subarray(end + 4, end + 4 + length).toString('utf8') });
    };
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      parse();
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed before a complete answer: ${received.toString('latin1').slice(0, 200)}`)));
  });
  response.catch(() => undefined);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { send: (bytes) => socket.write(bytes), response, closed, destroy: () => socket.destroy() };
}
