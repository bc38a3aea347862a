import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerSilenceGauge, SourceActivity } from './sourceActivity.js';

const S = 1_000;
const MIN = 60 * S;

/** A tracker on a clock the test moves, logging into `logs` (level, source, msg). */
function tracked(opts: { maxSources?: number } = {}) {
  const logs: { level: number; source: string; msg: string }[] = [];
  const clock = { now: 1_800_000_000_000 };
  const activity = new SourceActivity({
    logger: pino({ level: 'info' }, { write: (l: string) => void logs.push(JSON.parse(l) as { level: number; source: string; msg: string }) }),
    now: () => clock.now,
    ...opts,
  });
  /** `n` appends of `lines` lines from the source, `gapMs` apart. */
  const send = (source: string, n: number, gapMs: number, lines = 1): void => {
    for (let i = 0; i < n; i++) {
      if (i > 0) clock.now += gapMs;
      activity.received(source, 'elasticsearch', lines);
    }
  };
  return { activity, clock, logs, send, one: (source: string) => activity.snapshot().find((s) => s.source === source)! };
}

describe('live source activity', () => {
  it('counts lines and their rate over the last minute', () => {
    const { clock, send, one } = tracked();
    send('web', 120, 1 * S, 10);
    expect(one('web')).toMatchObject({ linesReceived: 1200, status: 'receiving', lastReceivedAt: clock.now });
    expect(one('web').linesPerSec).toBeCloseTo(10, 0);
    clock.now += 2 * MIN;
    expect(one('web').linesPerSec).toBe(0);
  });

  it('counts refused UDP lines as dropped, and other refusals as refusals their senders retry; keeps the last error', () => {
    const { activity, clock, one } = tracked();
    activity.refused('udp', 'syslog-udp', 3, 'behind');
    activity.refused('udp', 'syslog-udp', 2, 'still behind');
    activity.refused('web', 'elasticsearch', 500, 'behind');
    expect(activity.snapshot().find((s) => s.protocol === 'syslog-udp')).toMatchObject({
      linesDropped: 5, refusals: 0, linesReceived: 0, lastReceivedAt: null, lastError: { at: clock.now, message: 'still behind' },
    });
    expect(one('web')).toMatchObject({ linesDropped: 0, refusals: 1, linesReceived: 0 });
  });

  it('logs a steady source going silent once, and its return once', () => {
    const { activity, clock, logs, send, one } = tracked();
    send('web', 30, 10 * S);
    clock.now += 5 * MIN;
    activity.check();
    expect(logs).toEqual([]);
    clock.now += 1;
    activity.check();
    activity.check();
    expect(one('web').status).toBe('silent');
    expect(logs).toEqual([expect.objectContaining({ level: 40, source: 'web', msg: expect.stringMatching(/^live source web \(elasticsearch\) went silent/) as string })]);
    send('web', 1, 0);
    activity.check();
    expect(one('web').status).toBe('receiving');
    expect(logs.slice(1)).toEqual([expect.objectContaining({ level: 30, source: 'web', msg: expect.stringMatching(/sending again after 300 s of silence/) as string })]);
  });

  it('tracks at most maxSources, forgetting the one heard from least recently', () => {
    const { send, activity } = tracked({ maxSources: 2 });
    send('a', 1, 0);
    send('b', 1, 0);
    send('a', 1, 0);
    send('c', 1, 0);
    expect(activity.snapshot().map((s) => s.source)).toEqual(['a', 'c']);
  });

  it('sets loginsights_live_source_silent per source at each scrape', async () => {
    const { activity, clock, send } = tracked();
    const registry = new Registry();
    registerSilenceGauge(registry, activity);
    send('quiet', 30, 10 * S);
    send('busy', 1, 0);
    clock.now += 6 * MIN;
    send('busy', 1, 0);
    const text = await registry.metrics();
    expect(text).toMatch(/^loginsights_live_source_silent\{source="quiet",protocol="elasticsearch"\} 1$/m);
    expect(text).toMatch(/^loginsights_live_source_silent\{source="busy",protocol="elasticsearch"\} 0$/m);
  });
});
