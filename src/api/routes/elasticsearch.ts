import crypto from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { LiveJournal } from '../../live/journal.js';
import { BodySlots } from '../bodySlots.js';
import { AppError } from '../errors.js';
import { requestBytes, SOURCE_NAME, takeBodiesAsBytes } from '../liveBody.js';
import { appendLiveLines } from '../liveAppend.js';

export interface ElasticsearchDeps {
  journal: LiveJournal;
}

/** Elasticsearch's own limit on a request body (http.max_content_length); a gzip body may inflate to this too. */
const MAX_BULK_BYTES = 100 * 1024 * 1024;
/** The version shippers are told: 8.x, which Filebeat, Logstash, Fluent Bit, Vector and the 8/9 clients accept. */
const VERSION = '8.17.0';
/** _bulk requests read at once, and how many more may wait for a slot (src/api/bodySlots.ts). */
const BULK_SLOTS = 4;
const BULK_WAITING = 256;

/** Errors in Elasticsearch's shape (shippers read `error.type` and `status`), with the header its clients check. */
function esError(p: { status: number; code: string; detail: string }): { contentType: string; body: unknown } {
  const type = p.status === 401 ? 'security_exception'
    : p.status === 403 ? 'security_exception'
      : p.status === 429 ? 'es_rejected_execution_exception'
        : p.status === 413 ? 'content_too_long_exception'
          : p.status >= 500 ? 'unavailable_shards_exception' : 'illegal_argument_exception';
  const cause = { type, reason: p.detail };
  return { contentType: 'application/json; charset=utf-8', body: { error: { root_cause: [cause], ...cause }, status: p.status } };
}

const config = { access: 'ingest' as const, protocolError: esError };

/** What Elasticsearch answers for a document it created, after `_index` and `_id`. */
const CREATED = '"_version":1,"result":"created","status":201,"_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1';

/**
 * The part of the Elasticsearch API that log shippers use to send documents: the version handshake
 * (`GET /es/`) and `_bulk` (Filebeat, Logstash, Fluent Bit, Vector, rsyslog omelasticsearch, the
 * OpenTelemetry Collector and the official clients all speak it; they take a path prefix, here `/es`).
 * Each `index` or `create` document's `message` is a log line of the source named by its `source`
 * field, else its `_index`; the lines are journaled (src/live/journal.ts) before the answer, so a 200
 * means they are on disk. Other actions (delete, update) are answered per item as not supported.
 */
export function elasticsearchRoutes(deps: ElasticsearchDeps): FastifyPluginAsync {
  return async (app) => {
    // Bodies as bytes, whatever the content type shippers give (x-ndjson, json, the 8/9 clients' vendor types).
    takeBodiesAsBytes(app, MAX_BULK_BYTES);

    app.addHook('onSend', async (_req, reply) => {
      void reply.header('x-elastic-product', 'Elasticsearch');
    });

    // A body is read whole (up to MAX_BULK_BYTES, and as much again inflated and split): BULK_SLOTS at once.
    const slots = new BodySlots({ slots: BULK_SLOTS, waiting: BULK_WAITING, what: '_bulk requests', code: 'too_many_bulk_requests' });
    app.addHook('onRequest', async (req, reply) => {
      if (req.url.includes('/_bulk')) await slots.holdFor(reply);
    });

    const handshake = async (): Promise<unknown> => ({
      name: 'loginsights', cluster_name: 'loginsights', cluster_uuid: 'loginsights',
      version: {
        number: VERSION, build_flavor: 'default', build_type: 'docker', lucene_version: '9.12.0',
        minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0',
      },
      tagline: 'You Know, for Search',
    });
    const describe = {
      tags: ['live ingestion'],
      summary: 'Elasticsearch version handshake, for log shippers',
      description: 'What Filebeat, Logstash, Fluent Bit, Vector and the official clients ask first; answered with `X-Elastic-Product: Elasticsearch`.',
    };
    app.get('/es', { config, schema: describe }, handshake);
    app.get('/es/', { config, schema: describe }, handshake);

    const bulk = async (req: FastifyRequest<{ Params: { index?: string } }>, reply: FastifyReply): Promise<unknown> => {
      const started = Date.now();
      const body = requestBytes(req, MAX_BULK_BYTES);
      const { items, errors, lines } = readBulk(body, req.params.index);
      await appendLiveLines(deps.journal, 'elasticsearch', lines, req.log);
      void reply.type('application/json; charset=utf-8');
      // Written out, not serialized from objects: a request of 5,000 documents answers 5,000 items.
      return `{"took":${Date.now() - started},"errors":${errors},"items":[${items.join(',')}]}`;
    };
    const schema = {
      tags: ['live ingestion'],
      summary: 'Elasticsearch _bulk: log lines from shippers',
      description: 'NDJSON (gzip too) of `index`/`create` actions, each followed by a document whose `message` is a log line; its source is the '
        + "document's `source` field, else its `_index`. Answered once the lines are on disk, per item in Elasticsearch's shape. "
        + 'Keys: `Authorization: ApiKey <key>`, Basic with the key as password, Bearer or X-API-Key (ingest scope). '
        + "Errors, a missing key's 401 included, come in Elasticsearch's shape (`error.type`, `status`), not problem+json.",
    };
    const params = z.object({ index: z.string().min(1).max(255).describe("The index: the documents' source, unless a document's `_index` or `source` names another") });
    for (const method of ['POST', 'PUT'] as const) {
      app.route({ method, url: '/es/_bulk', config, schema, handler: bulk });
      app.route({ method, url: '/es/:index/_bulk', config, schema: { ...schema, params }, handler: bulk });
    }
  };
}

/**
 * The NDJSON of a _bulk request: an action line, then (for index, create, update) its document. Each
 * item gets its result (as JSON); the lines of the items that were taken, by source, in request order.
 */
export function readBulk(body: Buffer, urlIndex: string | undefined): { items: string[]; errors: boolean; lines: Map<string, string[]> } {
  const text = body.toString('utf8').split('\n');
  const items: string[] = [];
  let errors = false;
  const lines = new Map<string, string[]>();
  // Ids for documents that bring none, as Elasticsearch makes them (20 URL-safe characters): random per
  // request, then the item's number. A random draw per document cost 10 µs (a getrandom call each).
  const idBase = crypto.randomBytes(12).toString('base64url');
  let i = 0;
  const next = (): string | undefined => {
    while (i < text.length && text[i]!.trim() === '') i++;
    return i < text.length ? text[i++] : undefined;
  };
  // Shippers repeat one action line ({"create":{"_index":"filebeat-8.17.0"}}): it is parsed once.
  let last: { line: string; op: string; index: string; id: string | null; idJson: string | null; prefix: string } | undefined;
  for (let actionLine = next(); actionLine !== undefined; actionLine = next()) {
    if (actionLine !== last?.line) {
      const action = parseObject(actionLine);
      const op = action ? Object.keys(action)[0] : undefined;
      if (!action || op === undefined || Object.keys(action).length !== 1) {
        throw new AppError(400, 'bad_bulk', `line ${i}: expected an action such as {"index": {…}}, got ${actionLine.slice(0, 100)}`);
      }
      const meta = (action[op] ?? {}) as { _index?: unknown; _id?: unknown };
      const index = typeof meta._index === 'string' ? meta._index : urlIndex ?? '';
      const id = typeof meta._id === 'string' ? meta._id : null;
      last = {
        line: actionLine, op, index, id, idJson: id === null ? null : JSON.stringify(id),
        prefix: `{${JSON.stringify(op)}:{"_index":${JSON.stringify(index)},"_id":`,
      };
    }
    const { op, index, prefix } = last;
    const id = last.id ?? `${idBase}${items.length.toString(36).padStart(4, '0')}`;
    // A generated id is URL-safe: no JSON escaping.
    const idJson = last.idJson ?? `"${id}"`;
    const result = (status: number, error?: { type: string; reason: string }): void => {
      if (error) errors = true;
      items.push(error ? JSON.stringify({ [op]: { _index: index, _id: id, status, error } }) : `${prefix}${idJson},${CREATED}}}`);
    };
    if (op === 'delete') {
      result(400, { type: 'illegal_argument_exception', reason: 'delete is not supported: log records are kept until retention' });
      continue;
    }
    const docLine = next();
    if (docLine === undefined) throw new AppError(400, 'bad_bulk', `the ${op} action of line ${i} has no document line after it`);
    if (op !== 'index' && op !== 'create') {
      result(400, { type: 'illegal_argument_exception', reason: `${op} is not supported: send index or create` });
      continue;
    }
    const doc = parseObject(docLine);
    if (!doc) {
      result(400, { type: 'document_parsing_exception', reason: 'the document is not a JSON object' });
      continue;
    }
    const message = doc.message;
    if (typeof message !== 'string') {
      result(400, { type: 'document_parsing_exception', reason: 'the document has no `message` string: the log line goes there' });
      continue;
    }
    const source = typeof doc.source === 'string' && doc.source !== '' ? doc.source : index;
    if (!SOURCE_NAME.test(source)) {
      result(400, { type: 'invalid_index_name_exception', reason: source === '' ? 'no index or `source` names the source' : 'a source has 1–200 characters and no control characters' });
      continue;
    }
    let list = lines.get(source);
    if (!list) lines.set(source, (list = []));
    if (!message.includes('\n')) list.push(message.endsWith('\r') ? message.slice(0, -1) : message);
    else for (const l of message.split('\n')) list.push(l.endsWith('\r') ? l.slice(0, -1) : l);
    result(201);
  }
  return { items, errors, lines };
}

function parseObject(line: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
