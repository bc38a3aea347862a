import { describe, expect, it } from 'vitest';
import { sseFrame } from '../search/tail.js';
import { SseParser } from './sseFrames.js';

describe('SseParser', () => {
  it('reads the frames the tail writes, split anywhere', () => {
    const text = `${sseFrame('ready', {})}: ping\n\n${sseFrame('record', { raw_log: 'a\nb "c"' })}${sseFrame('dropped', { dropped: 3 })}`;
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(events.map((e) => e.event)).toEqual(['ready', 'record', 'dropped']);
      expect(JSON.parse(events[1]!.data)).toEqual({ raw_log: 'a\nb "c"' });
      expect(JSON.parse(events[2]!.data)).toEqual({ dropped: 3 });
    }
  });

  it('joins data lines, defaults the event name, and takes CRLF', () => {
    expect(new SseParser().push('data: one\r\ndata:two\r\n\r\n')).toEqual([{ event: 'message', data: 'one\ntwo' }]);
    expect(new SseParser().push(': only a comment\n\n')).toEqual([]);
  });
});
