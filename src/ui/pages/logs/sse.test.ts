import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.js';

describe('SseParser', () => {
  it('frames events across chunk boundaries and skips comments', () => {
    const p = new SseParser();
    const text = 'event: ready\ndata: {"a":1}\n\n: ping\n\nevent: record\r\ndata: {"id":2}\r\n\r\ndata: x\ndata: y\n\n';
    const events = [];
    for (let i = 0; i < text.length; i += 3) events.push(...p.push(text.slice(i, i + 3)));
    expect(events).toEqual([
      { event: 'ready', data: '{"a":1}' },
      { event: 'record', data: '{"id":2}' },
      { event: 'message', data: 'x\ny' },
    ]);
  });

  it('keeps an unfinished event until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('event: dropped\ndata: {"dropped":3}\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'dropped', data: '{"dropped":3}' }]);
  });
});
