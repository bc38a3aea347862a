/**
 * Worker-thread entry: parses one job's spool file off the main event loop and posts encoded batches.
 * At most MAX_IN_FLIGHT batches wait for the writer at once, so memory stays bounded however large
 * the file and however slow the database. The writer's ack returns the batch's buffers for reuse.
 * A rewind (the database refused a row: src/ingest/isolation.ts) drops what was parsed ahead and
 * starts again from the given checkpoint; every message carries its pass's generation so that the
 * writer can tell the dropped ones. The thread ends after `done` (the file's end, or a live segment parked).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { batchBuffers, type BatchMessage } from './batch.js';
import { BufferPool } from './binaryCopy.js';
import { parseSpoolFile, type ParseFileInput } from './parseSpoolFile.js';
import type { ToWorker } from './parserWorker.js';

const MAX_IN_FLIGHT = 2;

if (!parentPort) throw new Error('worker.ts must run in a worker thread');
const port = parentPort;
const pool = new BufferPool();

let input = workerData as ParseFileInput;
let generation = 0;
let inFlight = 0;
let wake: (() => void) | null = null;
const wakeUp = (): void => {
  wake?.();
  wake = null;
};
port.on('message', (msg: ToWorker) => {
  if (msg.type === 'ack') {
    for (const b of msg.buffers) pool.put(b);
    inFlight--;
  } else {
    // Batches of the old pass still unacknowledged are dropped by the writer, never acknowledged.
    ({ input, generation } = msg);
    inFlight = 0;
  }
  wakeUp();
});

/** Thrown out of the parse when a rewind makes its pass obsolete. */
const REWOUND = new Error('rewound');

function emitter(pass: number): (batch: BatchMessage) => Promise<void> {
  return async (batch) => {
    while (inFlight >= MAX_IN_FLIGHT && pass === generation) await new Promise<void>((resolve) => (wake = resolve));
    if (pass !== generation) throw REWOUND;
    inFlight++;
    port.postMessage({ generation: pass, batch }, batchBuffers(batch));
  };
}

for (;;) {
  const pass = generation;
  try {
    const outcome = await parseSpoolFile(input, emitter(pass), pool);
    // Wait for the writer to take the last batches: it may still rewind instead.
    while (inFlight > 0 && pass === generation) await new Promise<void>((resolve) => (wake = resolve));
    if (pass !== generation) continue;
    port.postMessage({ generation: pass, done: outcome });
    break;
  } catch (err) {
    if (err !== REWOUND) throw err;
  }
}
port.close();
