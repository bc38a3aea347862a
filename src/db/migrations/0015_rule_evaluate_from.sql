-- How a new rule was evaluated over stored data into history (POST /alerts/rules with `evaluate_from`,
-- src/alerts/ruleEvaluation.ts): NULL for a rule created without it. The INSERT that creates the rule
-- sets {"status": "pending", "requested_from": …}, so a crash before or during the evaluation loses
-- nothing: the alert scheduler evaluates the rules still pending or running when it starts. Then:
-- running, done or failed, with the event time evaluated and the part left out (ALERT_SPAN_MAX).
ALTER TABLE alert_rules ADD COLUMN evaluation jsonb;
-- The scheduler's look at start-up and at each tick: a few rows at most.
CREATE INDEX alert_rules_evaluation_idx ON alert_rules (id)
  WHERE evaluation->>'status' IN ('pending', 'running');
