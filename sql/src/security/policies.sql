-- Row-level security: which rows each role reads. Only SELECT is granted
-- (grants.sql), so these are read policies; the table owner, whose rights
-- the SECURITY DEFINER functions use, and superusers are not subject to them.
-- Policies of one table add up: a login that is both a manager and an
-- investor reads what either may.
--   poolkeeper_admin, poolkeeper_auditor  every row
--   poolkeeper_manager   rows of the pools they manage (caller_managed_pools),
--                        the investors who are or were members of them, their
--                        own manager row, and the default alert rule
--   poolkeeper_investor  their own investor row, memberships, positions,
--                        ledger rows, obligations and payments, totals; the
--                        pools they are or were in, with their operations and
--                        valuations
--   poolkeeper_listener  pools, the ledger, alert rules and alerts: what a
--                        spike monitor and an alert stream read
-- The caller_* functions are evaluated once per query, as InitPlans.
DO $policies$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['managers', 'investors', 'pools', 'memberships', 'positions', 'transactions',
                                   'alert_rules', 'alerts', 'investor_totals', 'operations', 'obligations',
                                   'obligation_payments', 'valuations', 'alert_rule_changes'] LOOP
        EXECUTE format('ALTER TABLE poolkeeper.%I ENABLE ROW LEVEL SECURITY', v_table);
        EXECUTE format('CREATE POLICY %I ON poolkeeper.%I FOR SELECT TO poolkeeper_admin, poolkeeper_auditor USING (true)',
                       v_table || '_read_all', v_table);
    END LOOP;
END;
$policies$;

CREATE POLICY managers_own ON poolkeeper.managers FOR SELECT TO poolkeeper_manager
    USING (id = (SELECT poolkeeper.caller_manager_id()));

CREATE POLICY investors_of_managed_pools ON poolkeeper.investors FOR SELECT TO poolkeeper_manager
    USING (id IN (SELECT ms.investor_id FROM poolkeeper.memberships ms
                   WHERE ms.pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[])));
CREATE POLICY investors_own ON poolkeeper.investors FOR SELECT TO poolkeeper_investor
    USING (id = (SELECT poolkeeper.caller_investor_id()));

CREATE POLICY pools_managed ON poolkeeper.pools FOR SELECT TO poolkeeper_manager
    USING (id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY pools_member ON poolkeeper.pools FOR SELECT TO poolkeeper_investor
    USING (id = ANY ((SELECT poolkeeper.caller_member_pools())::bigint[]));
CREATE POLICY pools_listener ON poolkeeper.pools FOR SELECT TO poolkeeper_listener USING (true);

CREATE POLICY memberships_managed ON poolkeeper.memberships FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY memberships_own ON poolkeeper.memberships FOR SELECT TO poolkeeper_investor
    USING (investor_id = (SELECT poolkeeper.caller_investor_id()));

CREATE POLICY positions_managed ON poolkeeper.positions FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY positions_own ON poolkeeper.positions FOR SELECT TO poolkeeper_investor
    USING (investor_id = (SELECT poolkeeper.caller_investor_id()));

CREATE POLICY transactions_managed ON poolkeeper.transactions FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY transactions_own ON poolkeeper.transactions FOR SELECT TO poolkeeper_investor
    USING (investor_id = (SELECT poolkeeper.caller_investor_id()));
CREATE POLICY transactions_listener ON poolkeeper.transactions FOR SELECT TO poolkeeper_listener USING (true);

CREATE POLICY alert_rules_managed ON poolkeeper.alert_rules FOR SELECT TO poolkeeper_manager
    USING (pool_id IS NULL OR pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY alert_rules_listener ON poolkeeper.alert_rules FOR SELECT TO poolkeeper_listener USING (true);

CREATE POLICY alerts_managed ON poolkeeper.alerts FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY alerts_listener ON poolkeeper.alerts FOR SELECT TO poolkeeper_listener USING (true);

CREATE POLICY investor_totals_own ON poolkeeper.investor_totals FOR SELECT TO poolkeeper_investor
    USING (investor_id = (SELECT poolkeeper.caller_investor_id()));

CREATE POLICY operations_managed ON poolkeeper.operations FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY operations_member ON poolkeeper.operations FOR SELECT TO poolkeeper_investor
    USING (pool_id = ANY ((SELECT poolkeeper.caller_member_pools())::bigint[]));

CREATE POLICY obligations_managed ON poolkeeper.obligations FOR SELECT TO poolkeeper_manager
    USING (operation_id IN (SELECT o.id FROM poolkeeper.operations o
                             WHERE o.pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[])));
CREATE POLICY obligations_own ON poolkeeper.obligations FOR SELECT TO poolkeeper_investor
    USING (investor_id = (SELECT poolkeeper.caller_investor_id()));

CREATE POLICY obligation_payments_managed ON poolkeeper.obligation_payments FOR SELECT TO poolkeeper_manager
    USING (operation_id IN (SELECT o.id FROM poolkeeper.operations o
                             WHERE o.pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[])));
CREATE POLICY obligation_payments_own ON poolkeeper.obligation_payments FOR SELECT TO poolkeeper_investor
    USING (investor_id = (SELECT poolkeeper.caller_investor_id()));

CREATE POLICY valuations_managed ON poolkeeper.valuations FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY valuations_member ON poolkeeper.valuations FOR SELECT TO poolkeeper_investor
    USING (pool_id = ANY ((SELECT poolkeeper.caller_member_pools())::bigint[]));

CREATE POLICY alert_rule_changes_managed ON poolkeeper.alert_rule_changes FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
