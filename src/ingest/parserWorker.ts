import { Worker } from 'node:worker_threads';
import { batchBuffers, type BatchMessage } from './batch.js';
import type { ParseFileInput, ParseOutcome } from './parseSpoolFile.js';

// Under vitest/tsx the sources are .ts: the worker then starts through a shim that loads tsx first.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './workerFromSource.mjs' : './worker.js', import.meta.url);

/** Messages to the worker (src/ingest/worker.ts): a batch written, or parse again from another checkpoint. */
export type ToWorker =
  | { type: 'ack'; buffers: ArrayBuffer[] }
  | { type: 'rewind'; generation: number; input: ParseFileInput };

/** Messages from the worker, tagged with the pass (generation) that parsed them. */
type FromWorker = { generation: number; batch: BatchMessage } | { generation: number; done: ParseOutcome };

/**
 * Parses a spool file in a worker thread (src/ingest/worker.ts) and hands its batches to `write` one at
 * a time, in file order; resolves once the final batch is written. `write` may answer with another
 * input instead: the worker then drops what it parsed ahead and parses from there (isolation of a
 * refused row, src/ingest/isolation.ts), which costs no new thread. A failed write, or a worker that
 * fails or exits early, terminates the worker and rejects with that error. `started` receives the
 * worker, for a shutdown to terminate it. Resolves to how the parse ended: 'parked' when a live
 * segment was left waiting for lines (the job is not done).
 */
export function runParserWorker(
  input: ParseFileInput,
  write: (batch: BatchMessage) => Promise<ParseFileInput | undefined>,
  started: (worker: Worker) => void,
): Promise<ParseOutcome> {
  const worker = new Worker(WORKER_URL, { workerData: input });
  started(worker);
  return new Promise<ParseOutcome>((resolve, reject) => {
    let writes = Promise.resolve();
    let settled = false;
    let generation = 0;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const post = (msg: ToWorker, transfer: ArrayBuffer[] = []): void => worker.postMessage(msg, transfer);
    worker.on('message', (msg: FromWorker) => {
      writes = writes
        .then(async () => {
          // Parsed ahead of a rewind: the new pass sends these lines again.
          if (settled || msg.generation !== generation) return;
          if ('done' in msg) {
            settled = true;
            resolve(msg.done);
            return;
          }
          const rewind = await write(msg.batch);
          if (rewind) {
            post({ type: 'rewind', generation: ++generation, input: rewind });
            return;
          }
          // The batch is committed: hand its buffers back for the worker to fill again.
          const buffers = batchBuffers(msg.batch);
          post({ type: 'ack', buffers }, buffers);
        })
        .catch(fail);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      void writes.then(() => fail(new Error(`parser worker exited (code ${code}) before finishing`)));
    });
  });
}
