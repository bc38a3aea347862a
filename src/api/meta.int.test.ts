import fs from 'node:fs';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { openApiGaps, operations, type OpenApiDocument } from '../../test/helpers/openApiGaps.js';
import { countQueries } from '../../test/helpers/queryCount.js';
import { startTestService, uploadAndWait, type TestService } from '../../test/helpers/service.js';
import type { FormatDoc, FormatPreview } from '../domain/formatDetection.js';
import { DETECT_MAX_BODY_BYTES } from './routes/formats.js';

interface Problem { status: number; code: string; invalid_params?: { name: string; reason: string }[] }

const COMBINED = '203.0.113.7 - - [06/Dec/2026:10:15:32 +0100] "GET /api/orders/8812?page=2 HTTP/1.1" 200 5316 "https://example.com/" "Mozilla/5.0"';
const timed = (n: number) => `203.0.113.${n} - - [06/Dec/2026:10:1${n}:00 +0100] "GET /a/${n} HTTP/1.1" 200 ${n}00 "-" "curl/8.5" 0.${n}52 0.${n}50`;

describeBackends('health, readiness, docs, metrics and formats on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind);
  });
  afterAll(async () => svc?.close());

  it('answers /healthz and /readyz', async () => {
    expect(await svc.getJson('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await svc.getJson('/readyz')).toEqual({ status: 200, body: { status: 'ready', database: kind } });
  });

  it('answers a flood of /readyz with one small query and without reading the migrations directory', async () => {
    const readdir = vi.spyOn(fs, 'readdirSync');
    const readFile = vi.spyOn(fs, 'readFileSync');
    const checks = countQueries(svc.db, /schema_migrations/);
    try {
      const answers = await Promise.all(Array.from({ length: 30 }, () => svc.inject({ method: 'GET', url: '/readyz' })));
      expect(answers.map((r) => r.statusCode)).toEqual(new Array<number>(30).fill(200));
      // One, or none when the answer of the test before is still shared (it is for a second).
      expect(checks.count).toBeLessThanOrEqual(1);
      const aboutMigrations = (calls: unknown[][]) => calls.filter((c) => String(c[0]).includes('migrations'));
      expect(aboutMigrations(readdir.mock.calls)).toEqual([]);
      expect(aboutMigrations(readFile.mock.calls)).toEqual([]);
    } finally {
      checks.stop();
      readdir.mockRestore();
      readFile.mockRestore();
    }
  });

  it('serves an OpenAPI document generated from the route schemas, and Swagger UI at /docs', async () => {
    const doc = await svc.getJson<{ openapi: string; info: { version: string }; paths: Record<string, Record<string, { parameters?: { name: string }[] }>> }>('/docs/json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    // The API's version is the package's, as `loginsights --version` prints it.
    expect(doc.body.info.version).toBe((JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/logs', '/logs/upload', '/ingest/jobs', '/ingest/jobs/{id}', '/ingest/jobs/{id}/rejected', '/healthz', '/readyz']));
    const logParams = doc.body.paths['/logs']!.get!.parameters!.map((p) => p.name);
    expect(logParams).toEqual(expect.arrayContaining(['start_date', 'end_date', 'level', 'status_code', 'endpoint', 'source', 'q', 'limit', 'cursor']));
    // Elasticsearch's filter_path, which shippers send with every _bulk (the route takes its other parameters and ignores them).
    for (const path of ['/es/_bulk', '/es/{index}/_bulk']) expect(doc.body.paths[path]!.post!.parameters!.map((p) => p.name)).toContain('filter_path');
    const ui = await svc.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toMatch(/swagger-ui/i);
  });

  it('documents every operation whole: key errors where a key is needed, described parameters, the upload body', async () => {
    const { body: doc } = await svc.getJson<OpenApiDocument>('/docs/json');
    expect(openApiGaps(doc)).toEqual([]);
    expect(operations(doc).filter((o) => !o.keyed).map((o) => o.name)).toEqual(['GET /healthz', 'GET /readyz']);
    // Swagger UI offers a file picker for a binary string: as a multipart part or as the whole body.
    const upload = doc.paths['/logs/upload']!.post!.requestBody?.content;
    const form = upload?.['multipart/form-data']?.schema;
    expect(form?.properties?.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(form?.required).toEqual(['file']);
    expect(form?.properties).toHaveProperty('source');
    // Options after the file part are ignored (the route spools the file as it arrives): the form lists them first.
    expect(Object.keys(form?.properties ?? {}).at(-1)).toBe('file');
    for (const raw of ['application/octet-stream', 'application/gzip']) expect(upload?.[raw]?.schema).toMatchObject({ type: 'string', format: 'binary' });
    expect(upload?.['text/plain']?.schema).toMatchObject({ type: 'string' });
    // Required for count, ratio and latency rules: no default in its description.
    const operator = doc.paths['/alerts/rules']!.post!.requestBody?.content['application/json']?.schema?.properties?.operator;
    expect(operator?.description).toMatch(/required/i);
    expect(operator?.description).not.toMatch(/default `>` \(/);
  });

  it("tells apart in the summary's OpenAPI description error_count (5xx responses) and levels.ERROR (records, error-log lines included)", async () => {
    type Props = Record<string, { description?: string }>;
    const doc = await svc.getJson<{ paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: { properties: Props } }> }> } }> }>('/docs/json');
    const props = doc.body.paths['/analytics/summary']!.get.responses['200']!.content['application/json']!.schema.properties;
    expect(props.error_count?.description).toMatch(/status of 500 or more.*Not `levels\.ERROR`.*error-log lines/);
    expect(props.client_error_count?.description).toMatch(/400 to 499.*Not `levels\.WARN`/);
    expect(props.levels?.description).toMatch(/error-log lines included.*`levels\.ERROR` ≥ `error_count`/);
  });

  it('exposes Prometheus metrics with the ingest counters', async () => {
    const res = await svc.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^# HELP loginsights_ingest_lines_ingested_total/m);
    expect(res.body).toMatch(/^loginsights_search_partitions_unindexed 0$/m);
  });

  it('times each committed batch: as many commit timings as batches written', async () => {
    const metric = async (name: string) => {
      const res = await svc.inject({ method: 'GET', url: '/metrics' });
      return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(res.body)?.[1] ?? NaN);
    };
    const batchesBefore = await metric('loginsights_ingest_batches_written_total');
    const timedBefore = await metric('loginsights_ingest_batch_commit_seconds_count');
    expect(await uploadAndWait(svc, Array.from({ length: 9 }, (_, i) => timed(i + 1)).join('\n'), 'commit-timing')).toBe(9);
    const batches = await metric('loginsights_ingest_batches_written_total') - batchesBefore;
    expect(batches).toBeGreaterThan(0);
    expect(await metric('loginsights_ingest_batch_commit_seconds_count') - timedBefore).toBe(batches);
    expect(await metric('loginsights_ingest_batch_commit_seconds_sum')).toBeGreaterThan(0);
  });

  const detect = async (body: unknown) => {
    const res = await svc.inject({ method: 'POST', url: '/formats/detect', payload: body as Record<string, unknown> });
    return { status: res.statusCode, body: res.json<FormatPreview & Problem>(), type: res.headers['content-type'] };
  };

  it('documents every preset with its definition and an example that detection reads as that preset does', async () => {
    const { body } = await svc.getJson<{ items: FormatDoc[]; max_line_bytes: number }>('/formats');
    expect(body.max_line_bytes).toBe(svc.config.maxLineBytes);
    expect(body.items[0]!.name).toBe('auto');
    const custom = ['auto', 'nginx', 'apache'];
    for (const f of body.items.filter((i) => custom.includes(i.name))) expect(f).toMatchObject({ definition: null, example: null });
    const presets = body.items.filter((i) => !custom.includes(i.name));
    expect(presets.length).toBeGreaterThan(20);
    for (const p of presets) {
      expect(p.definition, p.name).toEqual(expect.stringMatching(/\S/));
      const own = await detect({ lines: [p.example], format: p.name });
      expect(own.body.lines[0], p.name).toMatchObject({ outcome: 'record', layout: p.name });
      // Auto may name another preset (an nginx_combined line is also apache_combined): what it stores must be the same,
      // or, where one line cannot decide (`… 52`: %{ms}T or %D?), the answer says so and names this preset as the way out.
      const auto = await detect({ lines: [p.example] });
      expect(auto.status, p.name).toBe(200);
      if (JSON.stringify(auto.body.lines[0]!.record) !== JSON.stringify(own.body.lines[0]!.record)) {
        expect(auto.body.confidence, p.name).toBe('low');
        expect(auto.body.warnings.join(' '), p.name).toContain(`format=${p.name}`);
      }
    }
  });

  it('reads a mixed sample line by line: the timed layout is primary, the plain line is read by nginx_combined', async () => {
    const { status, body } = await detect({ text: `${COMBINED}\n${timed(1)}\r\n${timed(2)}\n\n${timed(3)}\n` });
    expect(status).toBe(200);
    expect(body.format).toBe('nginx_combined_timed');
    expect(body.layouts).toEqual([{ name: 'nginx_combined_timed', lines: 3 }, { name: 'nginx_combined', lines: 1 }]);
    expect(body.lines.map((l) => [l.line_no, l.outcome, l.layout])).toEqual([
      [1, 'record', 'nginx_combined'], [2, 'record', 'nginx_combined_timed'], [3, 'record', 'nginx_combined_timed'],
      [4, 'skipped', null], [5, 'record', 'nginx_combined_timed'],
    ]);
    expect(body.lines.map((l) => l.record?.latency_ms ?? null)).toEqual([null, 152, 252, null, 352]);
    const roles = body.candidates.map((c) => c.role);
    expect(roles[0]).toBe('primary');
    expect(roles.filter((r) => r === 'primary')).toHaveLength(1);
    const parsed = body.candidates.slice(1).map((c) => c.parsed);
    expect(parsed).toEqual([...parsed].sort((a, b) => b - a));
  });

  it('says in the candidates how it chose the unit of an Apache request time logged as an integer', async () => {
    const lines = [52_310, 1_203_455, 830, 15_020, 98_400].map((us) => `${COMBINED} ${us}`);
    const { body } = await detect({ lines });
    expect(body.format).toBe('apache_combined_us');
    const byName = new Map(body.candidates.map((c) => [c.name, c]));
    expect(byName.get('apache_combined_us')).toMatchObject({ role: 'primary', parsed: 5, note: expect.stringMatching(/unit chosen from the values/) as string });
    for (const other of ['apache_combined_ms', 'apache_combined_s']) {
      expect(byName.get(other), other).toMatchObject({ role: 'outvoted', parsed: 5, note: expect.stringContaining('apache_combined_us') as string });
    }
    expect(body.lines[1]!.record!.latency_ms).toBe(1203.455);
  });

  it('refuses a bad body with a 400 naming the field', async () => {
    const max = svc.config.maxLineBytes;
    const long = 'x'.repeat(max + 1);
    const cases: [unknown, string][] = [
      [{}, 'lines'],
      [{ lines: [] }, 'lines'],
      [{ lines: [COMBINED, COMBINED, COMBINED, long] }, 'lines.3'],
      [{ lines: [COMBINED, 'é'.repeat(max / 2 + 1)] }, 'lines.1'], // fewer characters than the bound, more bytes
      [{ lines: [COMBINED, 7] }, 'lines.1'],
      [{ lines: [`${COMBINED}\n${COMBINED}`] }, 'lines.0'],
      [{ lines: new Array<string>(1001).fill('x') }, 'lines'],
      [{ lines: [COMBINED], text: COMBINED }, 'text'],
      [{ text: '' }, 'text'],
      [{ text: `${COMBINED}\n${long}` }, 'text'],
      [{ text: 'x\n'.repeat(1001) }, 'text'],
      [{ lines: [COMBINED], format: 'nginx_combind' }, 'format'],
      [{ lines: [COMBINED], format: 'nginx' }, 'format'],
      [{ lines: [COMBINED], format: 'nginx', log_format: '$remote_addr $nope_not_a_variable(' }, 'log_format'],
      [{ lines: [COMBINED], tz: 'Mars/Olympus_Mons' }, 'tz'],
    ];
    for (const [body, field] of cases) {
      const res = await detect(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body.invalid_params?.map((p) => p.name), JSON.stringify(body).slice(0, 80)).toEqual([field]);
    }
  });

  it('explains how a pasted log_format reads the lines, and refuses a body over its bound with 413', async () => {
    const logFormat = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time';
    const { status, body } = await detect({ lines: [`${COMBINED} 0.250`, COMBINED], format: 'nginx', log_format: logFormat });
    expect(status).toBe(200);
    expect(body).toMatchObject({ format: 'custom', confidence: 'high', candidates: [], layouts: [{ name: 'custom', lines: 1 }] });
    expect(body.lines[0]).toMatchObject({ outcome: 'record', layout: 'custom', record: { latency_ms: 250, status_code: 200 } });
    expect(body.lines[1]).toMatchObject({ outcome: 'rejected', layout: null, record: null, reason: expect.any(String) as string });

    const big = await detect({ lines: new Array<string>(Math.ceil(DETECT_MAX_BODY_BYTES / 1000)).fill('y'.repeat(1000)) });
    expect(big.status).toBe(413);
    expect(big.type).toMatch(/^application\/problem\+json/);
  });

  it('answers an unknown route with problem+json', async () => {
    const res = await svc.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 404, code: 'not_found', title: 'Not Found' });
  });
});
