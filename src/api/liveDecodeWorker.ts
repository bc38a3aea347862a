/**
 * Worker-thread entry of src/api/liveDecode.ts: decodes one body at a time with its input's own
 * functions (the same code that ran on the event loop before) and posts back the journal lines, their
 * buffers transferred.
 */
import { parentPort } from 'node:worker_threads';
import type { JournalLines } from '../live/journalLines.js';
import { AppError } from './errors.js';
import type { DecodeAnswer, DecodeJob } from './liveDecode.js';
import { decodeJsonPush, decodeProtobufPush, linesBySource, unsnappy } from './routes/loki.js';
import { decodeLogsRequest, readLogsRequest } from './routes/otlp.js';

if (!parentPort) throw new Error('liveDecodeWorker.ts must run in a worker thread');
const port = parentPort;

function decode(job: DecodeJob): { lines: Map<string, JournalLines>; rejected: Map<string, number> } {
  const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
  if (job.input === 'loki') {
    const streams = job.wire === 'protobuf' ? decodeProtobufPush(unsnappy(body)) : decodeJsonPush(body);
    return { lines: linesBySource(streams), rejected: new Map() };
  }
  return readLogsRequest(decodeLogsRequest(body, job.encoding));
}

port.on('message', (job: DecodeJob) => {
  let answer: DecodeAnswer;
  const transfer: ArrayBuffer[] = [];
  try {
    const { lines, rejected } = decode(job);
    answer = {
      id: job.id,
      // Each source's lines in an ArrayBuffer of their own, to transfer: the buffer they were written in
      // may be a slice of Node's pool of small buffers, which must not leave this thread.
      lines: [...lines].map(([source, l]) => {
        const own = new Uint8Array(l.data.byteLength);
        own.set(l.data);
        transfer.push(own.buffer);
        return [source, own, l.lines];
      }),
      rejected: [...rejected],
    };
  } catch (err) {
    answer = err instanceof AppError
      ? { id: job.id, refused: { status: err.status, code: err.code, message: err.message, ...(err.extra.headers ? { headers: err.extra.headers } : {}) } }
      : { id: job.id, failed: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(answer, transfer);
});
