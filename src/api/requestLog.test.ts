import Fastify from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { OneLinePerRequest } from './requestLog.js';

/** The events logged while Fastify answers one GET. */
async function logsOf(level: string, url: string): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const app = Fastify({ loggerInstance: pino({ level }, { write: (l: string) => void lines.push(l) }), logController: new OneLinePerRequest() });
  app.get('/ok', async () => ({ ok: true }));
  await app.inject({ method: 'GET', url });
  await app.close();
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('OneLinePerRequest', () => {
  it('logs a request once, when answered, with method, URL, client, status and duration', async () => {
    const events = await logsOf('info', '/ok?x=1');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      level: 30, msg: 'request completed', req: { method: 'GET', url: '/ok?x=1', remoteAddress: '127.0.0.1' }, res: { statusCode: 200 },
    });
    expect(typeof events[0]!.responseTime).toBe('number');
  });

  it('keeps the arrival at debug level', async () => {
    const events = await logsOf('debug', '/ok');
    expect(events.map((e) => [e.level, e.msg])).toEqual([[20, 'incoming request'], [30, 'request completed']]);
  });
});
