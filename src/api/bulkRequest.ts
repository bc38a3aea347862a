/**
 * Reading a _bulk request (Elasticsearch's NDJSON of actions and documents) into the log lines it
 * carries, and writing Elasticsearch's answer to it: the route is src/api/routes/elasticsearch.ts.
 */
import crypto from 'node:crypto';
import { LinesBySource, type JournalLines, type MessageLines } from '../live/journalLines.js';
import { DocumentScanner, STRING, type StringValue } from './bulkDocument.js';
import { AppError } from './errors.js';
import type { FilterPath } from './filterPath.js';
import { SOURCE_NAME } from './liveBody.js';

/** What Elasticsearch answers for a document it created, after `_index` and `_id`. */
const CREATED = { _version: 1, result: 'created', status: 201, _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: 0, _primary_term: 1 };
/** Stands for the id in a created item's template (createdItem): its JSON is where the id goes. */
const ID_SLOT = `\u0001id-${crypto.randomUUID()}`;
const ID_SLOT_JSON = JSON.stringify(ID_SLOT);

/**
 * Documents read between two turns of the event loop: a request of 5,000 read in one go held the loop
 * for 10–50 ms, and every batch commit's round trips to the database waited behind it.
 */
const ITEMS_PER_TURN = 500;

const NO_MESSAGE = { type: 'document_parsing_exception', reason: 'the document has no `message` string: the log line goes there' };

const ITEMS_END = Buffer.from(']}');
/** Bytes kept free before the items for the answer's head (`{"took":…,"errors":…,"items":[`): the answer is not copied again. */
const HEAD_ROOM = 64;

/** Elasticsearch's answer to a request read: written out, not serialized from objects (5,000 documents answer 5,000 items). */
export function bulkAnswer(tookMs: number, read: BulkRead): Buffer {
  return read.items.answer(tookMs, read.errors);
}

/** A _bulk request read: the items' results (JSON objects joined by commas, for `items`), and the lines taken. */
export interface BulkRead {
  items: ItemsWriter;
  errors: boolean;
  /** The lines of the items that were taken, by source, in request order, as the journal takes them. */
  lines: Map<string, JournalLines>;
}

/**
 * The NDJSON of a _bulk request: an action line, then (for index, create, update) its document. Read
 * as bytes: a shipper's repeated action line is compared, not decoded again; a document's message and
 * source are read from its bytes (src/api/bulkDocument.ts; JSON.parse where the scanner is not sure),
 * the message straight into its source's journal lines; and the answer is written into one buffer, not
 * built as a string per item and joined: a request of 5,000 documents answers 5,000 items (900 KB).
 */
export async function readBulk(body: Buffer, urlIndex: string | undefined, filter?: FilterPath): Promise<BulkRead> {
  const items = new ItemsWriter(body.length, filter);
  let errors = false;
  const lines = new LinesBySource();
  const scanner = new DocumentScanner();
  // Ids for documents that bring none, as Elasticsearch makes them (20 URL-safe characters): random per
  // request, then the item's number. A random draw per document cost 10 µs (a getrandom call each).
  const idBase = crypto.randomBytes(12).toString('base64url');
  const idHead = Buffer.from(`"${idBase}`);
  let pos = 0;
  let lineNo = 0;
  /** The next line that is not blank, as [start, end) in `body`. */
  const next = (): [number, number] | undefined => {
    while (pos < body.length) {
      let end = body.indexOf(0x0a, pos);
      if (end < 0) end = body.length;
      const start = pos;
      pos = end + 1;
      lineNo++;
      if (!isBlank(body, start, end)) return [start, end];
    }
    return undefined;
  };
  // Shippers repeat one action line ({"create":{"_index":"filebeat-8.17.0"}}): it is parsed once.
  let last: { line: Buffer; op: string; index: string; id: string | null; created: CreatedTemplate | null; idJson: Buffer | null } | undefined;
  let lastSource: string | undefined;
  let lastLines: MessageLines | undefined;
  // A scanned `source`, decoded once while documents repeat it.
  let sourceBytes: Buffer | undefined;
  let sourceText = '';
  const scannedSource = (v: StringValue): string | undefined => {
    if (v.kind !== STRING || v.end === v.start) return undefined;
    if (v.escaped || v.nonAscii) return JSON.parse(body.toString('utf8', v.start - 1, v.end + 1)) as string;
    if (sourceBytes === undefined || v.end - v.start !== sourceBytes.length || body.compare(sourceBytes, 0, sourceBytes.length, v.start, v.end) !== 0) {
      sourceBytes = body.subarray(v.start, v.end);
      sourceText = body.toString('latin1', v.start, v.end);
    }
    return sourceText;
  };
  /** The current item refused, with Elasticsearch's error. */
  const fail = (status: number, error: { type: string; reason: string }): void => {
    const { op, index, id } = last!;
    errors = true;
    items.json({ [op]: { _index: index, _id: id ?? generatedId(idBase, items.count), status, error } });
  };
  for (let action = next(); action !== undefined; action = next()) {
    if (items.count % ITEMS_PER_TURN === ITEMS_PER_TURN - 1) await new Promise((resolve) => setImmediate(resolve));
    const [start, end] = action;
    const actionLineNo = lineNo;
    if (last === undefined || end - start !== last.line.length || body.compare(last.line, 0, last.line.length, start, end) !== 0) {
      const actionLine = body.toString('utf8', start, end);
      const parsed = parseObject(actionLine);
      const op = parsed ? Object.keys(parsed)[0] : undefined;
      if (!parsed || op === undefined || Object.keys(parsed).length !== 1) {
        throw new AppError(400, 'bad_bulk', `line ${actionLineNo}: expected an action such as {"index": {…}}, got ${actionLine.slice(0, 100)}`);
      }
      const meta = (parsed[op] ?? {}) as { _index?: unknown; _id?: unknown };
      const index = typeof meta._index === 'string' ? meta._index : urlIndex ?? '';
      const id = typeof meta._id === 'string' ? meta._id : null;
      last = {
        line: body.subarray(start, end), op, index, id,
        created: items.createdItem(op, index),
        idJson: id === null ? null : Buffer.from(JSON.stringify(id)),
      };
    }
    const { op, index, created, idJson } = last;
    if (op === 'delete') {
      fail(400, { type: 'illegal_argument_exception', reason: 'delete is not supported: log records are kept until retention' });
      continue;
    }
    const doc = next();
    if (doc === undefined) throw new AppError(400, 'bad_bulk', `the ${op} action of line ${actionLineNo} has no document line after it`);
    if (op !== 'index' && op !== 'create') {
      fail(400, { type: 'illegal_argument_exception', reason: `${op} is not supported: send index or create` });
      continue;
    }
    // The document's message and source: from its bytes where the scanner reads it, else from JSON.parse.
    let message: string | undefined;
    let source: string;
    if (scanner.scan(body, doc[0], doc[1])) {
      if (scanner.message.kind !== STRING) {
        fail(400, NO_MESSAGE);
        continue;
      }
      source = scannedSource(scanner.source) ?? index;
    } else {
      const fields = parseObject(body.toString('utf8', doc[0], doc[1]));
      if (!fields) {
        fail(400, { type: 'document_parsing_exception', reason: 'the document is not a JSON object' });
        continue;
      }
      if (typeof fields.message !== 'string') {
        fail(400, NO_MESSAGE);
        continue;
      }
      message = fields.message;
      source = typeof fields.source === 'string' && fields.source !== '' ? fields.source : index;
    }
    // The documents of a request usually share their source: its name is checked and looked up once.
    if (source !== lastSource) {
      if (!SOURCE_NAME.test(source)) {
        fail(400, { type: 'invalid_index_name_exception', reason: source === '' ? 'no index or `source` names the source' : 'a source has 1–200 characters and no control characters' });
        continue;
      }
      lastSource = source;
      // The first source may take the whole request; another is likely small.
      lastLines = lines.of(source, lines.size === 0 ? body.length : undefined);
    }
    const into = lastLines!;
    if (message !== undefined) {
      into.addString(message);
    } else {
      const m = scanner.message;
      // A \u escape of a surrogate is left to JSON.parse (a lone one becomes U+FFFD, as it would in a string).
      if (!into.addJsonString(body, m.start, m.end, m.escaped)) into.addString(JSON.parse(body.toString('utf8', m.start - 1, m.end + 1)) as string);
    }
    // Created: the action's cached item around the id.
    items.created(created, idJson, idHead);
  }
  return { items, errors, lines: lines.finish() };
}

/** A generated id (a URL-safe string: no JSON escaping): the request's random part, then the item's number. */
const generatedId = (idBase: string, item: number): string => `${idBase}${idSuffix(item)}`;
const idSuffix = (item: number): string => item.toString(36).padStart(4, '0');

/** A line of nothing but whitespace (as String.prototype.trim sees it): shippers' blank lines between items. */
function isBlank(body: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = body[i]!;
    if (b === 0x20 || (b >= 0x09 && b <= 0x0d)) continue;
    // Not ASCII: Unicode spaces (a BOM, a no-break space) are blank too.
    return b >= 0x80 && body.toString('utf8', start, end).trim() === '';
  }
  return true;
}

/**
 * A created item's bytes around its id: `after` is null when filter_path leaves the id out (the item is
 * `before` alone).
 */
export interface CreatedTemplate {
  before: Buffer;
  after: Buffer | null;
}

/**
 * The items of the answer, comma-separated, in one growing buffer that the answer is then written
 * around; with `filter_path`, only what it keeps (src/api/filterPath.ts).
 */
export class ItemsWriter {
  /** Items answered, written or not (a generated id is the item's number). */
  count = 0;
  private written = 0;
  private buf: Buffer;
  private at = HEAD_ROOM;
  private readonly items: FilterPath | 'whole' | null;

  /** `bodyBytes`: the request's; a whole answer is about as long (~180 bytes an item), a filtered one a fraction of it. */
  constructor(bodyBytes: number, private readonly filter?: FilterPath) {
    // Filebeat's filter_path leaves ~26 bytes an item: sized for the whole answer, the buffer would be 1 MB
    // unused per request, which V8 counts toward its next mark-compact all the same.
    this.buf = Buffer.allocUnsafe(HEAD_ROOM + Math.max(1024, filter === undefined ? bodyBytes : bodyBytes >> 3));
    this.items = filter === undefined ? 'whole' : filter.under('items');
  }

  /** A created item of this action as written (CreatedTemplate), or null when filter_path leaves nothing of it. Made once per action line. */
  createdItem(op: string, index: string): CreatedTemplate | null {
    const kept = this.keep({ [op]: { _index: index, _id: ID_SLOT, ...CREATED } });
    if (kept === undefined) return null;
    const [before, after] = JSON.stringify(kept).split(ID_SLOT_JSON) as [string, string | undefined];
    return { before: Buffer.from(before), after: after === undefined ? null : Buffer.from(after) };
  }

  /** A created item: its template (createdItem) around its id (`idJson`, else one generated from `idHead` and the item's number). */
  created(template: CreatedTemplate | null, idJson: Buffer | null, idHead: Buffer): void {
    // Past 36^4 items the number takes 5 characters: the room is reserved for the suffix as written.
    const idTail = idJson === null && template !== null && template.after !== null ? `${idSuffix(this.count)}"` : '';
    this.count++;
    if (template === null) return;
    const { before, after } = template;
    this.room(before.length + (after === null ? 0 : (idJson?.length ?? idHead.length + idTail.length) + after.length));
    // set(), not copy(): Buffer.prototype.copy costs a view object per call, and an item takes three.
    this.buf.set(before, this.at);
    this.at += before.length;
    if (after === null) return;
    if (idJson !== null) {
      this.buf.set(idJson, this.at);
      this.at += idJson.length;
    } else {
      this.buf.set(idHead, this.at);
      this.at += idHead.length;
      this.at += this.buf.write(idTail, this.at, 'latin1');
    }
    this.buf.set(after, this.at);
    this.at += after.length;
  }

  json(value: unknown): void {
    this.count++;
    const kept = this.keep(value);
    if (kept === undefined) return;
    const bytes = Buffer.from(JSON.stringify(kept));
    this.room(bytes.length);
    this.at += bytes.copy(this.buf, this.at);
  }

  /** Starts one more written item of up to `bytes`: its comma written, and room for it. */
  private room(bytes: number): void {
    const comma = this.written++ > 0 ? 1 : 0;
    if (this.at + comma + bytes > this.buf.length) this.grow(this.at + comma + bytes);
    if (comma) this.buf[this.at++] = 0x2c;
  }

  /** The whole answer: its head written in the room before the items, its end after them. */
  answer(tookMs: number, errors: boolean): Buffer {
    let head = `{"took":${tookMs},"errors":${errors},"items":[`;
    if (this.filter !== undefined) {
      const top = JSON.stringify(this.filter.keep({ took: tookMs, errors }) ?? {});
      // No item kept: no `items` either, unless filter_path keeps them whole (then `[]`).
      if (this.written === 0 && this.items !== 'whole') return Buffer.from(top);
      head = `${top.slice(0, -1)}${top === '{}' ? '' : ','}"items":[`;
    }
    if (this.at + ITEMS_END.length > this.buf.length) this.grow(this.at + ITEMS_END.length);
    this.buf.set(ITEMS_END, this.at);
    this.buf.write(head, HEAD_ROOM - head.length, 'latin1');
    return this.buf.subarray(HEAD_ROOM - head.length, this.at + ITEMS_END.length);
  }

  /** The items written, comma-separated. */
  toString(): string {
    return this.buf.toString('utf8', HEAD_ROOM, this.at);
  }

  /** What filter_path keeps of an item; undefined for nothing. */
  private keep(item: unknown): unknown {
    return this.items === 'whole' ? item : this.items === null ? undefined : this.items.keep(item);
  }

  private grow(bytes: number): void {
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, bytes));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}

function parseObject(line: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
