import type { UploadAnswer } from '../../../api/wireTypes.js';
import { authHeaders, REQUESTED_BY, type Problem } from '../../api.js';

export type { UploadAnswer };

export type UploadOutcome =
  | { kind: 'accepted'; answer: UploadAnswer }
  | { kind: 'duplicate'; answer: UploadAnswer }
  | { kind: 'refused'; status: number; text: string }
  | { kind: 'failed'; text: string };

export interface UploadOptions {
  source: string;
  format: string;
  logFormat: string | null;
  /** The zone of timestamps written without one; null: the server's default (UTC). */
  tz: string | null;
  /** Ingest again although the same content was uploaded before. */
  force?: boolean;
}

/** What a refusal means to the person uploading, before the API's own words. */
const STATUS_WORDS: Record<number, string> = {
  400: 'The upload was refused',
  401: 'The API key was not accepted',
  403: 'This API key may not upload (it lacks the ingest scope)',
  413: 'The file is too big for this server',
  415: 'This is not a text or gzip log file',
  429: 'Too many requests: wait a moment and try again',
  507: 'The server has no disk space left for uploads',
};

/**
 * POST /logs/upload as multipart (options as fields before the file, so the job keeps the file's
 * name), with XMLHttpRequest rather than fetch because only it reports upload progress.
 */
export function sendFile(file: File, opts: UploadOptions, onProgress: (sent: number, total: number) => void, signal: AbortSignal): Promise<UploadOutcome> {
  const body = new FormData();
  body.append('source', opts.source);
  body.append('format', opts.format);
  if (opts.logFormat) body.append('log_format', opts.logFormat);
  if (opts.tz) body.append('tz', opts.tz);
  if (opts.force) body.append('force', 'true');
  body.append('file', file, file.name);
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/logs/upload');
    // The header lets a multipart upload (a "simple" request) through when AUTH_DISABLED is on.
    for (const [k, v] of Object.entries({ ...REQUESTED_BY, ...authHeaders() })) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', (ev) => onProgress(ev.loaded, ev.lengthComputable ? ev.total : file.size));
    xhr.addEventListener('load', () => {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch { /* a proxy's HTML error page: the status says enough */ }
      if (xhr.status === 202) return resolve({ kind: 'accepted', answer: parsed as UploadAnswer });
      if (xhr.status === 200) return resolve({ kind: 'duplicate', answer: parsed as UploadAnswer });
      const p = (parsed ?? {}) as Partial<Problem>;
      const params = p.invalid_params?.map((x) => `${x.name}: ${x.reason}`).join('; ');
      const detail = [p.detail ?? xhr.statusText, params].filter(Boolean).join(' — ');
      resolve({ kind: 'refused', status: xhr.status, text: `${STATUS_WORDS[xhr.status] ?? `HTTP ${xhr.status}`}: ${detail}` });
    });
    xhr.addEventListener('error', () => resolve({ kind: 'failed', text: 'The upload failed: the connection to the server was lost.' }));
    xhr.addEventListener('abort', () => resolve({ kind: 'failed', text: 'The upload was cancelled.' }));
    signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

/** A source name from a file name: `access.log.gz` → `access`; `web` when nothing is left. */
export function sourceFromFileName(name: string): string {
  let base = name.replace(/^.*[\\/]/, '').replace(/\.(gz|gzip)$/i, '');
  base = base.replace(/\.(log|txt|\d+)$/i, '').replace(/\.(log|txt)$/i, '');
  // The API refuses control characters in a source.
  base = base.replace(/[\x00-\x1f]/g, '').trim().slice(0, 200);
  return base || 'web';
}
