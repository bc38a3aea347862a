import { Worker } from 'node:worker_threads';
import type { JournalLines } from '../live/journalLines.js';
import { AppError } from './errors.js';

// Under vitest/tsx the sources are .ts: the worker then starts through a shim that loads tsx first.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './liveDecodeFromSource.mjs' : './liveDecodeWorker.js', import.meta.url);

/** A body to decode, as its input reads it (src/api/liveDecodeWorker.ts runs the input's own decoding). */
export type DecodeRequest =
  | { input: 'loki'; wire: 'protobuf' | 'json' }
  | { input: 'otlp'; encoding: 'protobuf' | 'json' };

/** A body decoded: each source's lines as the journal takes them, and (OTLP) the records not taken, by reason. */
export interface DecodedLines {
  lines: Map<string, JournalLines>;
  rejected: Map<string, number>;
}

/** Messages to and from the worker. */
export type DecodeJob = DecodeRequest & { id: number; body: Uint8Array };
export type DecodeAnswer =
  | { id: number; lines: [string, Uint8Array, number][]; rejected: [string, number][] }
  | { id: number; refused: { status: number; code: string; message: string; headers?: Record<string, string> } }
  | { id: number; failed: string };

/**
 * Decodes the bodies of live HTTP inputs (Loki pushes, OTLP exports) in a worker thread, into their
 * journal lines. On the event loop a 64 MiB push held every request and every batch commit of the
 * process for ~1 s (protobuf decoding; OTLP's, with its validation, ~2 s); here the loop only hands the
 * body over and takes the lines back (their buffers transferred, not copied). One thread per input,
 * started at its first body; bodies wait their turn in it (the input's slots bound how many).
 * A refusal (AppError) comes back as itself; a worker that dies fails the bodies it held, and the next
 * body starts a new one.
 */
export class LiveDecoder {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (d: DecodedLines) => void; reject: (err: Error) => void }>();
  private nextId = 0;

  decode(request: DecodeRequest, body: Buffer): Promise<DecodedLines> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<DecodedLines>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const job: DecodeJob = { ...request, id, body };
      // A body that owns its memory is handed over; one that is a view of shared memory (Node's pool of
      // small buffers, which must never be transferred) is copied.
      const owns = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
      try {
        worker.postMessage(job, owns ? [body.buffer] : []);
      } catch (err) {
        this.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.failPending(new Error('the live decoder was closed'));
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_URL);
    // Idle, it does not keep the process alive; the server closes it (close()) when it stops.
    worker.unref();
    worker.on('message', (answer: DecodeAnswer) => {
      const waiting = this.pending.get(answer.id);
      if (!waiting) return;
      this.pending.delete(answer.id);
      if ('lines' in answer) {
        waiting.resolve({
          lines: new Map(answer.lines.map(([source, data, lines]) => [source, { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), lines }])),
          rejected: new Map(answer.rejected),
        });
      } else if ('refused' in answer) {
        const r = answer.refused;
        waiting.reject(new AppError(r.status, r.code, r.message, r.headers ? { headers: r.headers } : {}));
      } else {
        waiting.reject(new Error(`decoding the body failed: ${answer.failed}`));
      }
    });
    const gone = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      this.failPending(err);
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`the live decoder's thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private failPending(err: Error): void {
    for (const { reject } of this.pending.values()) reject(err);
    this.pending.clear();
  }
}
