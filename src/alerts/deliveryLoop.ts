import type { Logger } from 'pino';
import type { Db } from '../db/db.js';
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
  const loop = (everyMs: number, what: string, round: () => Promise<void>) => {
    let running: Promise<void> | null = null;
    const timer = setInterval(() => {
      running ??= round()
        .catch((err: unknown) => logger.warn({ err }, `${what} failed; the next tick tries again`))
        .finally(() => (running = null));
    }, everyMs);
    return async () => {
      clearInterval(timer);
      await running;
    };
  };
  const stops = [
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
  return { stop: async () => void (await Promise.all(stops.map((stop) => stop()))) };
}
