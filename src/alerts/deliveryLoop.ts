import type { Logger } from 'pino';
import type { Db } from '../db/db.js';
import { startLoop } from '../domain/backgroundLoop.js';
import { refreshAlertmanager, sendDueDeliveries, type SendOptions } from './notifications.js';

/** How often due notifications are looked for. */
const DELIVERY_TICK_MS = 2_000;

/**
 * The loop that sends notifications, apart from evaluation: due deliveries every DELIVERY_TICK_MS,
 * and every `refreshMs` the Alertmanager alerts of firing episodes again. Each part runs one round
 * at a time (a round still going when its tick comes skips that tick); a failure is logged and the
 * next tick tries again.
 */
export function startDeliveries(db: Db, opts: SendOptions, refreshMs: number, logger: Logger): { stop(): Promise<void> } {
  const loop = (everyMs: number, what: string, run: () => Promise<void>) =>
    startLoop({ everyMs, run, onError: (err) => logger.warn({ err }, `${what} failed; the next tick tries again`) });
  const loops = [
    loop(DELIVERY_TICK_MS, 'sending alert notifications', async () => {
      const { overtaken } = await sendDueDeliveries(db, opts);
      if (overtaken.length) {
        logger.warn({ deliveries: overtaken }, 'alert deliveries were taken over by another sender before their attempt was recorded; its outcome is not recorded');
      }
    }),
    loop(refreshMs, 'refreshing Alertmanager alerts', async () => {
      await refreshAlertmanager(db, opts);
    }),
  ];
  return { stop: async () => void (await Promise.all(loops.map((l) => l.stop()))) };
}
