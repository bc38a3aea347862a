import { describe, expect, it } from 'vitest';
import { SyslogStreamFramer } from './syslogFraming.js';

const text = (b: Buffer[]): string[] => b.map((x) => x.toString('utf8'));

describe('SyslogStreamFramer (RFC 6587)', () => {
  it('splits octet-counted messages (3.4.1), including counts and messages cut across chunks', () => {
    const m1 = '<34>1 2003-10-11T22:14:15.003Z host su - ID47 - line one\nwith a newline inside';
    const m2 = '<13>Dec  6 22:10:01 host app: two';
    const wire = Buffer.from(`${Buffer.byteLength(m1)} ${m1}${Buffer.byteLength(m2)} ${m2}`);
    expect(text(new SyslogStreamFramer(1 << 20).push(wire))).toEqual([m1, m2]);
    // Every split point of the same bytes gives the same messages.
    for (let cut = 1; cut < wire.length; cut++) {
      const f = new SyslogStreamFramer(1 << 20);
      expect(text([...f.push(wire.subarray(0, cut)), ...f.push(wire.subarray(cut))]), `cut at ${cut}`).toEqual([m1, m2]);
    }
  });

  it('splits trailer-framed messages (3.4.2) at LF or NUL, dropping a CR and blank lines', () => {
    const f = new SyslogStreamFramer(1 << 20);
    expect(text(f.push(Buffer.from('<13>a one\r\n\n<13>b two\0<13>c th')))).toEqual(['<13>a one', '<13>b two']);
    expect(text(f.push(Buffer.from('ree\n')))).toEqual(['<13>c three']);
  });

  it('mixes both framings on one connection, and reads digits not followed by a space as a message', () => {
    const f = new SyslogStreamFramer(1 << 20);
    expect(text(f.push(Buffer.from('5 <13>x<13>y\n127.0.0.1 - - line\n')))).toEqual(['<13>x', '<13>y', '127.0.0.1 - - line']);
  });

  it('keeps the first maxMessageBytes of a longer message and skips the rest, in both framings', () => {
    const f = new SyslogStreamFramer(8);
    expect(text(f.push(Buffer.from('<13>abcdefghij\n<13>ok\n')))).toEqual(['<13>abcd', '<13>ok']);
    expect(text(f.push(Buffer.from('12 <13>abcdefgh5 <13>z')))).toEqual(['<13>abcd', '<13>z']);
  });
});

describe('SyslogStreamFramer.end', () => {
  it('completes a trailer-framed message left open, and drops an octet-counted one cut short', () => {
    const f = new SyslogStreamFramer(1 << 20);
    expect(text(f.push(Buffer.from('<13>a\n<13>b')))).toEqual(['<13>a']);
    expect(text(f.end())).toEqual(['<13>b']);
    const g = new SyslogStreamFramer(1 << 20);
    expect(text(g.push(Buffer.from('10 <13>ab')))).toEqual([]);
    expect(g.end()).toEqual([]);
  });
});
