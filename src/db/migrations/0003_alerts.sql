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
