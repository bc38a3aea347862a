import { describe, expect, it } from 'vitest';
import { keyOfAuthMessage, originAllowed, webSocketMessage } from './tailWebSocket.js';

describe('live tail WebSocket messages', () => {
  it('sends each event as one JSON object with its type, a record under `record` so that its fields cannot clash with `type`', () => {
    expect(JSON.parse(webSocketMessage('ready', { max_records_per_batch: 500 }))).toEqual({ type: 'ready', max_records_per_batch: 500 });
    expect(JSON.parse(webSocketMessage('record', { id: '7', type: 'access' }))).toEqual({ type: 'record', record: { id: '7', type: 'access' } });
    expect(JSON.parse(webSocketMessage('dropped', { dropped: 1200 }))).toEqual({ type: 'dropped', dropped: 1200 });
    expect(JSON.parse(webSocketMessage('gap', { reason: 'lost' }))).toEqual({ type: 'gap', reason: 'lost' });
  });

  it('takes a key only from a first message of the auth form', () => {
    expect(keyOfAuthMessage('{"type":"auth","key":"li_abc"}')).toBe('li_abc');
    for (const other of ['li_abc', '{"type":"auth"}', '{"type":"auth","key":7}', '{"type":"subscribe","key":"li_abc"}', '["auth","li_abc"]', 'null', '{']) {
      expect(keyOfAuthMessage(other), other).toBeUndefined();
    }
  });
});

describe('originAllowed', () => {
  const host = '127.0.0.1:8000';

  it('accepts clients that are not browsers (no Origin), this service\'s own pages, and CORS_ORIGINS', () => {
    expect(originAllowed(undefined, host, [])).toBe(true);
    expect(originAllowed('http://127.0.0.1:8000', host, [])).toBe(true);
    expect(originAllowed('https://logs.example.com', 'Logs.Example.com', [])).toBe(true); // default port, any case
    expect(originAllowed('https://dash.example.com', host, ['https://dash.example.com'])).toBe(true);
  });

  it('refuses a page of any other origin, another port of the same host included', () => {
    expect(originAllowed('https://evil.example', host, [])).toBe(false);
    expect(originAllowed('http://127.0.0.1:9000', host, [])).toBe(false);
    expect(originAllowed('null', host, [])).toBe(false); // a sandboxed frame or a file: page
  });
});
