import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandPattern, segmentRegExp } from './glob.js';

describe('ship wildcards', () => {
  it('match within one segment, as the shell does', () => {
    expect(segmentRegExp('*.log').test('access.log')).toBe(true);
    expect(segmentRegExp('*.log').test('access.log.1')).toBe(false);
    expect(segmentRegExp('*.log').test('.hidden.log')).toBe(false);
    expect(segmentRegExp('access.log.?').test('access.log.1')).toBe(true);
    expect(segmentRegExp('access.log.[0-9]').test('access.log.7')).toBe(true);
    expect(segmentRegExp('access.log.[!0-9]').test('access.log.7')).toBe(false);
    expect(segmentRegExp('a+b(c).log').test('a+b(c).log')).toBe(true);
    expect(segmentRegExp('[oops').test('[oops')).toBe(true);
  });

  it('expand in any segment, files only, sorted; nothing while nothing matches', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-glob-'));
    for (const p of ['a/logs/x.log', 'b/logs/y.log', 'b/logs/y.log.1', 'c/other/z.log']) {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), '');
    }
    fs.mkdirSync(path.join(dir, 'a/logs/dir.log'));
    expect(expandPattern(path.join(dir, '*/logs/*.log'))).toEqual([path.join(dir, 'a/logs/x.log'), path.join(dir, 'b/logs/y.log')]);
    expect(expandPattern(path.join(dir, 'b/logs/y.log'))).toEqual([path.join(dir, 'b/logs/y.log')]);
    expect(expandPattern(path.join(dir, 'none/*.log'))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
