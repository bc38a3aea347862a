import { describe, expect, it } from 'vitest';
import { previewFormat } from './formatPreview.js';

const NOW = Date.UTC(2026, 11, 6, 12);
const COMBINED = '203.0.113.7 - - [06/Dec/2026:10:15:32 +0100] "GET /api/orders/8812?page=2 HTTP/1.1" 200 5316 "https://example.com/" "Mozilla/5.0"';
const timed = (n: number) => `203.0.113.${n} - - [06/Dec/2026:10:15:3${n} +0100] "POST /api/items HTTP/1.1" 201 ${n}00 "-" "curl/8.5" 0.${n}52 0.${n}51`;

describe('previewFormat', () => {
  it('reads a mixed sample line by line: the timed layout is primary, the plain line goes to nginx_combined', () => {
    const p = previewFormat([COMBINED, timed(1), timed(2), timed(3)], { format: 'auto' }, NOW);
    expect(p.format).toBe('nginx_combined_timed');
    expect(p.layouts).toEqual([{ name: 'nginx_combined_timed', lines: 3 }, { name: 'nginx_combined', lines: 1 }]);
    expect(p.candidates[0]).toMatchObject({ name: 'nginx_combined_timed', role: 'primary', parsed: 3 });
    const parsedCounts = p.candidates.slice(1).map((c) => c.parsed);
    expect(parsedCounts).toEqual([...parsedCounts].sort((a, b) => b - a));
    expect(p.lines[0]).toMatchObject({ line_no: 1, outcome: 'record', layout: 'nginx_combined', reason: null });
    expect(p.lines[0]!.record).toMatchObject({ timestamp: '2026-12-06T09:15:32.000Z', latency_ms: null, bytes_sent: 5316, endpoint: '/api/orders/8812' });
    expect(p.lines[2]).toMatchObject({ line_no: 3, outcome: 'record', layout: 'nginx_combined_timed' });
    expect(p.lines[2]!.record).toEqual({
      timestamp: '2026-12-06T09:15:32.000Z', log_level: 'INFO', status_code: 201, method: 'POST', endpoint: '/api/items', protocol: 'HTTP/1.1',
      latency_ms: 252, client_ip: '203.0.113.2', bytes_sent: 200, user_agent: 'curl/8.5', referer: null, host: null,
      message: 'POST /api/items HTTP/1.1',
    });
  });

  it('names each layout once and the unit group\'s winner as primary when the values choose the unit', () => {
    const p = previewFormat([52, 48, 61].map((ms) => `${COMBINED} ${ms}`), { format: 'auto' }, NOW);
    expect(p).toMatchObject({ format: 'apache_combined_ms', confidence: 'high', layouts: [{ name: 'apache_combined_ms', lines: 3 }] });
    expect(p.candidates[0]).toMatchObject({ name: 'apache_combined_ms', role: 'primary' });
    expect(p.candidates.filter((c) => c.role === 'primary')).toHaveLength(1);
    expect(p.lines.map((l) => l.record?.latency_ms)).toEqual([52, 48, 61]);
  });

  it('with a format, reads the lines with it alone and gives the reason for each line it rejects', () => {
    const p = previewFormat([timed(1), '', 'not a log line'], { format: 'nginx_combined_timed' }, NOW);
    expect(p).toMatchObject({ format: 'nginx_combined_timed', confidence: 'high', warnings: [], candidates: [], layouts: [{ name: 'nginx_combined_timed', lines: 1 }] });
    expect(p.lines.map((l) => l.outcome)).toEqual(['record', 'skipped', 'rejected']);
    expect(p.lines[2]!.reason).toEqual(expect.any(String));
    expect(p.lines[2]!.record).toBeNull();
  });

  it('joins continuation lines to the nginx error record above them, as ingestion does', () => {
    const p = previewFormat([
      '2026/12/06 10:15:37 [error] 1234#0: *2 FastCGI sent in stderr: "PHP message: PHP Warning: one',
      'PHP message: PHP Warning: two" while reading response header from upstream, client: 10.0.0.2, server: a, request: "GET /y HTTP/1.1"',
      '2026/12/06 10:15:39 [crit] 1234#0: *4 SSL_do_handshake() failed, client: 10.0.0.4, server: 0.0.0.0:443',
    ], { format: 'auto' }, NOW);
    expect(p.format).toBe('nginx_error');
    expect(p.lines.map((l) => l.outcome)).toEqual(['record', 'continuation', 'record']);
    expect(p.lines[0]!.record!.message).toContain('PHP Warning: two');
    expect(p.lines[0]!.record!.endpoint).toBe('/y');
  });

  it('reads a time written without a zone in the zone asked for, as an upload with tz does', () => {
    const line = '2026/12/06 10:15:39 [crit] 1234#0: *4 SSL_do_handshake() failed, client: 10.0.0.4, server: 0.0.0.0:443';
    expect(previewFormat([line], { format: 'auto' }, NOW).lines[0]!.record!.timestamp).toBe('2026-12-06T10:15:39.000Z');
    expect(previewFormat([line], { format: 'auto', tz: '+05:30' }, NOW).lines[0]!.record!.timestamp).toBe('2026-12-06T04:45:39.000Z');
    expect(previewFormat([line], { format: 'nginx_error', tz: 'Europe/Berlin' }, NOW).lines[0]!.record!.timestamp).toBe('2026-12-06T09:15:39.000Z');
  });

  it('rejects a line whose time ingestion would refuse, with ingestion\'s reason', () => {
    const future = COMBINED.replace('06/Dec/2026', '06/Dec/2027');
    const p = previewFormat([COMBINED, future], { format: 'nginx_combined' }, NOW);
    expect(p.lines[1]).toMatchObject({ outcome: 'rejected', layout: 'nginx_combined', record: null });
    expect(p.lines[1]!.reason).toMatch(/^timestamp in the future/);
  });
});
