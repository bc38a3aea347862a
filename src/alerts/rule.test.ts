import { describe, expect, it } from 'vitest';
import { parseDuration } from '../domain/duration.js';
import { effectiveSettings, ruleSchema } from './rule.js';

const SEED = { name: 'Too many 500s', kind: 'count', filter: { status_code: '500' }, operator: '>', threshold: 50, window: '5m', severity: 'critical' };

/** The fields named by the issues of an invalid rule. */
function invalidFields(body: unknown): string[] {
  const res = ruleSchema.safeParse(body);
  expect(res.success).toBe(false);
  return res.error!.issues.map((i) => i.path.join('.'));
}

describe('alert rule', () => {
  it("accepts the seed's rule and fills in the defaults", () => {
    const rule = ruleSchema.parse(SEED);
    expect(rule).toMatchObject({ ...SEED, for: '0m', labels: {}, notify: [], enabled: true, notify_historical: false });
    expect(effectiveSettings(rule)).toMatchObject({ operator: '>', windowMs: 300_000, forMs: 0 });
  });

  it('reads durations', () => {
    expect([parseDuration('30s'), parseDuration('5m'), parseDuration('2h'), parseDuration('1d')]).toEqual([30_000, 300_000, 7_200_000, 86_400_000]);
    expect([parseDuration('5'), parseDuration('5 m'), parseDuration('-5m'), parseDuration('1w')]).toEqual([null, null, null, null]);
  });

  it('names the field of every mistake', () => {
    expect(invalidFields({ ...SEED, operator: '=>' })).toEqual(['operator']);
    expect(invalidFields({ ...SEED, window: '90s' })).toEqual(['window']);
    expect(invalidFields({ ...SEED, window: '8d' })).toEqual(['window']);
    expect(invalidFields({ ...SEED, window: 'soon' })).toEqual(['window']);
    expect(invalidFields({ ...SEED, filter: { status_code: '5x' } })).toEqual(['filter.status_code']);
    expect(invalidFields({ ...SEED, filter: { level: 'LOUD' } })).toEqual(['filter.level']);
    expect(invalidFields({ ...SEED, filter: { colour: 'red' } })).toEqual(['filter']);
    expect(invalidFields({ ...SEED, threshold: undefined })).toEqual(['threshold']);
    expect(invalidFields({ ...SEED, kind: 'sometimes' })).toEqual(['kind']);
    expect(invalidFields({ ...SEED, name: '  ' })).toEqual(['name']);
    expect(invalidFields({ ...SEED, notify: [{ type: 'webhook', url: 'ftp://x' }] })).toEqual(['notify.0.url']);
    expect(invalidFields({ ...SEED, notify: [{ type: 'pager', url: 'https://x' }] })).toEqual(['notify.0.type']);
    expect(invalidFields({ ...SEED, recover_threshold: 60 })).toEqual(['recover_threshold']);
    expect(invalidFields({ ...SEED, percentile: 'p95' })).toEqual(['percentile']);
  });

  it('checks what each kind needs', () => {
    expect(invalidFields({ name: 'r', kind: 'ratio', operator: '>', threshold: 150 })).toEqual(['threshold']);
    expect(invalidFields({ name: 'n', kind: 'new_value' })).toEqual(['field']);
    expect(invalidFields({ name: 'a', kind: 'absence', operator: '>', threshold: 1 })).toEqual(['operator']);
    expect(invalidFields({ name: 'x', kind: 'anomaly', operator: '>=' })).toEqual(['operator']);
    const absence = ruleSchema.parse({ name: 'a', kind: 'absence', threshold: 1, filter: { source: 'web' }, window: '15m' });
    expect(effectiveSettings(absence).operator).toBe('<');
    const latency = ruleSchema.parse({ name: 'l', kind: 'latency', operator: '>', threshold: 800, recover_threshold: 600 });
    expect(effectiveSettings(latency).percentile).toBe('p95');
    expect(ruleSchema.parse({ name: 'n', kind: 'new_value', field: 'route' }).field).toBe('route');
    expect(effectiveSettings(ruleSchema.parse({ name: 'x', kind: 'anomaly' }))).toMatchObject({ operator: '>', sensitivity: 3, minHistory: 12 });
  });
});
