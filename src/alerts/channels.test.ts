import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { CHANNELS, signature, standardSignature, type Notification } from './channels.js';

const SECRET = 'a-test-secret-of-32-characters!!';

const notification: Notification = {
  event: 'firing',
  rule: { id: 1, name: 'Too many 500s', kind: 'count', severity: 'critical', threshold: 50, labels: {} },
  episode: { id: 7, value: 65, peak: 65, window_start: '2026-10-05T00:58:00.000Z', window_end: '2026-10-05T01:03:00.000Z', resolved_at: null },
  evidence: null,
  logs_url: '/logs?status_code=500',
};

describe('webhook signatures', () => {
  it('match the Standard Webhooks test vector (libraries/javascript/src/webhook.test.ts, "sign function works")', () => {
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    expect(standardSignature(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'))
      .toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('a webhook carries both signatures: the Standard Webhooks one verifies with whsec_ + base64 of SECRET_KEY', () => {
    const nowMs = Date.now();
    const req = CHANNELS.webhook(notification, { type: 'webhook', url: 'http://receiver.example/hook' }, { secretKey: SECRET, messageId: 'msg_7_x', nowMs });
    expect(req.headers).toMatchObject({
      'content-type': 'application/json',
      'x-loginsights-signature': signature(req.body, SECRET),
      'webhook-id': 'msg_7_x',
      'webhook-timestamp': String(Math.floor(nowMs / 1000)),
    });
    expect(req.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    const wh = new Webhook(`whsec_${Buffer.from(SECRET, 'utf8').toString('base64')}`);
    expect(wh.verify(req.body, req.headers)).toEqual(JSON.parse(req.body));
    expect(() => wh.verify(req.body.replace('65', '66'), req.headers)).toThrow(/signature/);
    expect(() => wh.verify(req.body, { ...req.headers, 'webhook-id': 'msg_8_x' })).toThrow(/signature/);
  });

  it('without SECRET_KEY a webhook goes unsigned (id and timestamp still sent)', () => {
    const req = CHANNELS.webhook(notification, { type: 'webhook', url: 'http://receiver.example/hook' }, { secretKey: undefined, messageId: 'msg_1_x', nowMs: 0 });
    expect(Object.keys(req.headers).sort()).toEqual(['content-type', 'webhook-id', 'webhook-timestamp']);
  });
});
