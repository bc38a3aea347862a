import { describe, expect, it } from 'vitest';
import { detectLayouts } from '../parse/index.js';
import { findPreset } from '../parse/presets.js';
import { CATCH_ALLS, catchAllIgnores, withCatchAllWarnings } from './formatReport.js';

const job = (layouts: { name: string; lines: number }[], warnings: string[] = [], formatRequested = 'auto') => ({
  format_requested: formatRequested, format_confidence: 'high' as const, format_warnings: warnings, layouts,
});

describe('withCatchAllWarnings', () => {
  it('lines read by a catch-all: a warning naming the count and what it ignores, and low confidence', () => {
    const j = withCatchAllWarnings(job([{ name: 'nginx_combined_timed', lines: 2999 }, { name: 'combined_extra', lines: 3 }]));
    expect(j.format_confidence).toBe('low');
    expect(j.format_warnings).toEqual([
      '3 lines were read by combined_extra, which ignores the fields after the user agent: latency may be missing; ' +
        'paste your log_format / LogFormat (format=nginx or apache) to read them',
    ]);
  });

  it('one warning per catch-all, after what detection said', () => {
    const j = withCatchAllWarnings(job([{ name: 'combined_extra', lines: 1 }, { name: 'common_extra', lines: 2 }], ['the sample fits a and b']));
    expect(j.format_warnings).toHaveLength(3);
    expect(j.format_warnings[0]).toBe('the sample fits a and b');
    expect(j.format_warnings[1]).toMatch(/^1 line was read by combined_extra, /);
    expect(j.format_warnings[2]).toMatch(/^2 lines were read by common_extra, which ignores the fields after the response size: /);
  });

  it('no catch-all lines, or a catch-all asked for by name: the job as stored', () => {
    const plain = job([{ name: 'nginx_combined', lines: 10 }]);
    expect(withCatchAllWarnings(plain)).toBe(plain);
    const asked = job([{ name: 'combined_extra', lines: 10 }], [], 'combined_extra');
    expect(withCatchAllWarnings(asked)).toBe(asked);
  });

  it("detection's own catch-all warning is not repeated (pinned to detect.ts's wording)", () => {
    const line = findPreset('combined_extra')!.example;
    const d = detectLayouts([line, line]);
    expect(d.confidence).toBe('low');
    const j = withCatchAllWarnings(job([{ name: 'combined_extra', lines: 2 }], d.warnings));
    expect(j.format_warnings).toEqual(d.warnings);
  });

  it('every catch-all preset says what it ignores', () => {
    expect(CATCH_ALLS.length).toBeGreaterThan(0);
    for (const name of CATCH_ALLS) expect(catchAllIgnores(name), name).not.toBe('its last field');
  });
});
