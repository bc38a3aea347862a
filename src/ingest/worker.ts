/**
 * Worker-thread entry: parses one job's spool file off the main event loop and posts encoded batches.
 * At most MAX_IN_FLIGHT batches wait for the writer at once, so memory stays bounded however large
 * the file and however slow the database. The writer's ack returns the batch's buffers for reuse.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { batchBuffers, type BatchMessage } from './batch.js';
import { BufferPool } from './binaryCopy.js';
import { parseSpoolFile, type ParseFileInput } from './parseSpoolFile.js';

const MAX_IN_FLIGHT = 2;

if (!parentPort) throw new Error('worker.ts must run in a worker thread');
const port = parentPort;
const pool = new BufferPool();

let inFlight = 0;
let wake: (() => void) | null = null;
port.on('message', (msg: { type: 'ack'; buffers: ArrayBuffer[] }) => {
  if (msg.type !== 'ack') return;
  for (const b of msg.buffers) pool.put(b);
  inFlight--;
  wake?.();
  wake = null;
});

async function emit(batch: BatchMessage): Promise<void> {
  while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
  inFlight++;
  port.postMessage(batch, batchBuffers(batch));
}

await parseSpoolFile(workerData as ParseFileInput, emit, pool);
// Wait for the writer to take the last batches before the thread exits.
while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
port.postMessage({ type: 'done' });
