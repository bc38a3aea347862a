import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { LiveJournal } from '../../live/journal.js';
import { BodySlots } from '../bodySlots.js';
import { bulkAnswer, readBulk } from '../bulkRequest.js';
import { FilterPath } from '../filterPath.js';
import { requestBytes, takeBodiesAsBytes } from '../liveBody.js';
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

/**
 * The query parameters read here: `filter_path`. Loose, as Elasticsearch's API is: shippers send others
 * (`refresh`, `pipeline`, `timeout`…) that mean nothing for log lines, and are not refused for it.
 */
const esQuery = z.looseObject({
  filter_path: z.union([z.string(), z.array(z.string())]).optional()
    .describe('What of the answer to keep, as Elasticsearch reads it: comma-separated dotted paths, `*` within a name, `**` across fields, `-` to leave out (Filebeat sends `errors,items.*.error,items.*.status`)'),
});

/** The request's `filter_path` (src/api/filterPath.ts), which Elasticsearch takes on every API. */
const filterOf = (req: FastifyRequest): FilterPath | undefined => FilterPath.parse((req.query as Record<string, unknown>).filter_path);

/** An answer narrowed by the request's `filter_path`: `{}` when it keeps nothing. */
const filtered = (req: FastifyRequest, answer: unknown): unknown => {
  const filter = filterOf(req);
  return filter === undefined ? answer : filter.keep(answer) ?? {};
};

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

    const handshake = async (req: FastifyRequest): Promise<unknown> => filtered(req, {
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
    app.get('/es', { config, schema: { ...describe, querystring: esQuery } }, handshake);
    app.get('/es/', { config, schema: { ...describe, querystring: esQuery } }, handshake);

    const bulk = async (req: FastifyRequest<{ Params: { index?: string } }>, reply: FastifyReply): Promise<unknown> => {
      const started = Date.now();
      const body = await requestBytes(req, MAX_BULK_BYTES);
      const read = await readBulk(body, req.params.index, filterOf(req));
      await appendLiveLines(deps.journal, 'elasticsearch', read.lines, req.log);
      void reply.type('application/json; charset=utf-8');
      return bulkAnswer(Date.now() - started, read);
    };
    const schema = {
      tags: ['live ingestion'],
      summary: 'Elasticsearch _bulk: log lines from shippers',
      description: 'NDJSON (gzip too) of `index`/`create` actions, each followed by a document whose `message` is a log line; its source is the '
        + "document's `source` field, else its `_index`. Answered once the lines are on disk, per item in Elasticsearch's shape, "
        + 'narrowed by `filter_path` as Elasticsearch does (Filebeat and Logstash send `errors,items.*.error,items.*.status`). '
        + 'Keys: `Authorization: ApiKey <key>`, Basic with the key as password, Bearer or X-API-Key (ingest scope). '
        + "Errors, a missing key's 401 included, come in Elasticsearch's shape (`error.type`, `status`), not problem+json.",
    };
    const params = z.object({ index: z.string().min(1).max(255).describe("The index: the documents' source, unless a document's `_index` or `source` names another") });
    for (const method of ['POST', 'PUT'] as const) {
      app.route({ method, url: '/es/_bulk', config, schema: { ...schema, querystring: esQuery }, handler: bulk });
      app.route({ method, url: '/es/:index/_bulk', config, schema: { ...schema, params, querystring: esQuery }, handler: bulk });
    }
  };
}
