-- Alerting: the rules users define. A rule is stored whole as validated by src/alerts/rule.ts
-- (`definition`), so a new optional field needs no migration; `enabled` and `kind` are columns
-- because the evaluator selects by them.
CREATE TABLE alert_rules (
  id         bigserial PRIMARY KEY,
  kind       text NOT NULL,
  enabled    boolean NOT NULL,
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_rules_enabled_idx ON alert_rules (id) WHERE enabled;

-- Where each rule's state machine stands in live evaluation (src/alerts/stateMachine.ts, as JSON),
-- and the last window end it evaluated (event time).
CREATE TABLE alert_rule_states (
  rule_id      bigint PRIMARY KEY REFERENCES alert_rules (id) ON DELETE CASCADE,
  machine      jsonb NOT NULL,
  evaluated_to timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per firing episode, updated when it resolves. Keyed by the window that fired, so that
-- evaluating the same data again (a repeated tick, a second process, a re-ingest) finds the row
-- instead of adding one. Kept when the rule is deleted: history outlives its rules.
CREATE TABLE alert_history (
  id                   bigserial PRIMARY KEY,
  rule_id              bigint NOT NULL,
  rule_name            text NOT NULL,
  severity             text NOT NULL,
  state                text NOT NULL CHECK (state IN ('firing', 'resolved')),
  value                double precision NOT NULL,
  peak                 double precision NOT NULL,
  threshold            double precision,
  window_start         timestamptz NOT NULL,
  window_end           timestamptz NOT NULL,
  resolved_at          timestamptz,
  detected_at          timestamptz NOT NULL DEFAULT now(),
  resolved_detected_at timestamptz,
  -- Sample lines and top routes, clients and status codes of the window that fired (src/alerts/evidence.ts).
  evidence             jsonb,
  UNIQUE (rule_id, window_start)
);
CREATE INDEX alert_history_window_end_idx ON alert_history (window_end);
CREATE INDEX alert_history_firing_idx ON alert_history (rule_id) WHERE state = 'firing';

-- Notifications to send and sent: one row per episode, channel and event (firing, resolved), so
-- evaluating again never sends twice; `test` rows come from POST /alerts/rules/{id}/test-notification.
-- The payload is fixed when the row is made; each attempt is appended to `attempts`.
CREATE TABLE alert_deliveries (
  id              bigserial PRIMARY KEY,
  history_id      bigint,
  rule_id         bigint NOT NULL,
  channel_index   integer NOT NULL,
  channel         jsonb NOT NULL,
  event           text NOT NULL CHECK (event IN ('firing', 'resolved', 'test')),
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        jsonb NOT NULL DEFAULT '[]',
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  UNIQUE (history_id, channel_index, event)
);
CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (next_attempt_at) WHERE status = 'pending';

-- Silences: while one is in force (wall time), matching episodes are recorded, marked silenced,
-- and not notified. A silence matches a rule when every matcher it has does (rule id, severity,
-- and each label given).
CREATE TABLE alert_silences (
  id         bigserial PRIMARY KEY,
  rule_id    bigint,
  severity   text,
  labels     jsonb NOT NULL DEFAULT '{}',
  starts_at  timestamptz NOT NULL,
  ends_at    timestamptz NOT NULL,
  comment    text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
ALTER TABLE alert_history ADD COLUMN silenced boolean NOT NULL DEFAULT false;
