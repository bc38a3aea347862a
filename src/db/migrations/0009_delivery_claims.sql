-- A sender claims due deliveries by hiding them for a while (next_attempt_at) and giving each a fresh
-- token; its final update applies only while the row still holds that token. So a sender that
-- outlives its claim (a stalled database, a paused process) cannot record its outcome over that of
-- the sender who took the row over, and the delivery is not sent once more for it
-- (src/alerts/notifications.ts, sendDueDeliveries).
ALTER TABLE alert_deliveries ADD COLUMN claim_token uuid;
