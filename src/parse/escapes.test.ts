import { describe, expect, it } from 'vitest';
import { unescapeLogValue } from './escapes.js';

const un = (s: string, json = false): string => unescapeLogValue(s, 0, s.length, json);

describe('unescapeLogValue', () => {
  it('undoes nginx \\xNN for printable ASCII and well-formed UTF-8', () => {
    expect(un('Mozilla \\x22quoted\\x22 \\x5Cpath')).toBe('Mozilla "quoted" \\path');
    expect(un('\\xD0\\x9F\\xD1\\x80\\xD0\\xB8\\xD0\\xB2\\xD0\\xB5\\xD1\\x82')).toBe('Привет');
  });

  it('undoes Apache \\" and \\\\', () => {
    expect(un('a \\"b\\" c\\\\d')).toBe('a "b" c\\d');
  });

  it('keeps control bytes, NUL and invalid UTF-8 as escape text, so the value stays valid text', () => {
    expect(un('http://\\xe4\\xe5\\xe3\\xf2\\xff-x')).toBe('http://\\xe4\\xe5\\xe3\\xf2\\xff-x');
    expect(un('a\\x00b\\x1Bc\\xC3')).toBe('a\\x00b\\x1Bc\\xC3');
    expect(un('trailing \\')).toBe('trailing \\');
  });

  it('undoes escape=json', () => {
    expect(un('a \\"b\\" \\/ \\u00e9 \\u0000', true)).toBe('a "b" / é \\u0000');
  });

  it('returns the slice untouched when there is nothing to undo', () => {
    const s = 'xx curl/8.5.0 yy';
    expect(unescapeLogValue(s, 3, 13)).toBe('curl/8.5.0');
  });
});
