import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKENDS } from '../../test/helpers/db.js';
import { countQueries } from '../../test/helpers/queryCount.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';

describe.each(BACKENDS)('health, readiness, docs and metrics on %s', (kind) => {
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
    const doc = await svc.getJson<{ openapi: string; paths: Record<string, Record<string, { parameters?: { name: string }[] }>> }>('/docs/json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/logs', '/logs/upload', '/ingest/jobs', '/ingest/jobs/{id}', '/ingest/jobs/{id}/rejected', '/healthz', '/readyz']));
    const logParams = doc.body.paths['/logs']!.get!.parameters!.map((p) => p.name);
    expect(logParams).toEqual(expect.arrayContaining(['start_date', 'end_date', 'level', 'status_code', 'endpoint', 'source', 'q', 'limit', 'cursor']));
    const ui = await svc.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toMatch(/swagger-ui/i);
  });

  it('exposes Prometheus metrics with the ingest counters', async () => {
    const res = await svc.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^# HELP loginsights_ingest_lines_ingested_total/m);
    expect(res.body).toMatch(/^loginsights_search_partitions_unindexed 0$/m);
  });

  it('lists the formats that uploads accept', async () => {
    const res = await svc.getJson<{ items: { name: string }[] }>('/formats');
    expect(res.body.items.map((f) => f.name)).toEqual(expect.arrayContaining([
      'auto', 'nginx_combined', 'nginx_main', 'nginx_combined_timed', 'apache_common', 'apache_combined', 'apache_vhost_combined',
      'apache_combined_us', 'apache_combined_s', 'nginx_error', 'apache_error', 'nginx', 'apache',
    ]));
  });

  it('answers an unknown route with problem+json', async () => {
    const res = await svc.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 404, code: 'not_found', title: 'Not Found' });
  });
});
