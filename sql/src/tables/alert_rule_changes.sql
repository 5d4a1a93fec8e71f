-- Every change of an alert rule, append-only: who made it (changed_by, the
-- session's role: caller()), when, and the rule as it was set (NULL when it
-- was dropped). pool_id NULL is the default rule. Written by the trigger
-- alert_rules_audit, whoever changes alert_rules; rows from before 0.5.0
-- were not recorded.
CREATE TABLE poolkeeper.alert_rule_changes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pool_id    bigint REFERENCES poolkeeper.pools (id),
    action     text NOT NULL CHECK (action IN ('set', 'drop')),
    rule       jsonb CHECK ((action = 'set') = (rule IS NOT NULL)),
    changed_by name NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_rule_changes_pool_id ON poolkeeper.alert_rule_changes (pool_id, id);
