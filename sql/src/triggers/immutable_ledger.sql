-- reject_ledger_change: ledger rows are never updated, deleted or truncated,
-- by anyone; corrections are reversals. A position's totals change only
-- through the ledger trigger (trigger depth 1), never by a direct write
-- (depth 0); add_investor, remove_investor and close_pool change only is_open.
-- The trigger's first argument, if any, replaces the reason in the message.
CREATE FUNCTION poolkeeper.reject_ledger_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PKS09',
        MESSAGE = format('%s on poolkeeper.%s is not allowed: %s', TG_OP, TG_TABLE_NAME,
                         coalesce(TG_ARGV[0], 'the ledger is append-only; post a reversal instead'));
END;
$$;

CREATE TRIGGER transactions_append_only
    BEFORE UPDATE OR DELETE ON poolkeeper.transactions
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change();
CREATE TRIGGER transactions_no_truncate
    BEFORE TRUNCATE ON poolkeeper.transactions
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change();
-- guard_position_update: a direct UPDATE of positions (trigger depth 0) may
-- change is_open only; the totals, identity, currency and minor units change
-- only through the ledger trigger.
CREATE FUNCTION poolkeeper.guard_position_update()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (OLD.pool_id, OLD.investor_id, OLD.currency, OLD.minor_units,
        OLD.contributed, OLD.withdrawn, OLD.distributed, OLD.fees, OLD.net_invested)
       IS DISTINCT FROM
       (NEW.pool_id, NEW.investor_id, NEW.currency, NEW.minor_units,
        NEW.contributed, NEW.withdrawn, NEW.distributed, NEW.fees, NEW.net_invested) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS09',
            MESSAGE = 'UPDATE of the totals of poolkeeper.positions is not allowed: they change only with the ledger; post a transaction or a reversal instead';
    END IF;
    RETURN NEW;
END;
$$;

-- The WHEN clause is all a post pays for this guard (the trigger's own
-- UPDATE runs at depth 1), so it stays this small.
CREATE TRIGGER positions_ledger_only
    BEFORE UPDATE ON poolkeeper.positions
    FOR EACH ROW
    WHEN (pg_catalog.pg_trigger_depth() = 0)
    EXECUTE FUNCTION poolkeeper.guard_position_update();
CREATE TRIGGER positions_no_delete
    BEFORE DELETE ON poolkeeper.positions
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change();
CREATE TRIGGER positions_no_truncate
    BEFORE TRUNCATE ON poolkeeper.positions
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change();

-- investor_totals change only through the ledger trigger (depth 1).
CREATE TRIGGER investor_totals_ledger_only
    BEFORE INSERT OR UPDATE ON poolkeeper.investor_totals
    FOR EACH ROW
    WHEN (pg_catalog.pg_trigger_depth() = 0)
    EXECUTE FUNCTION poolkeeper.reject_ledger_change('investor totals change only with the ledger; post a transaction or a reversal instead');
CREATE TRIGGER investor_totals_no_delete
    BEFORE DELETE ON poolkeeper.investor_totals
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change('investor totals change only with the ledger; post a transaction or a reversal instead');
CREATE TRIGGER investor_totals_no_truncate
    BEFORE TRUNCATE ON poolkeeper.investor_totals
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change('investor totals change only with the ledger; post a transaction or a reversal instead');

-- Fund operations, their obligations and the payments recorded against them
-- are written once, by call_capital, distribute and pay_capital_call.
CREATE TRIGGER operations_append_only
    BEFORE UPDATE OR DELETE ON poolkeeper.operations
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change('fund operations are never changed; distribute or call again, or reverse ledger rows');
CREATE TRIGGER operations_no_truncate
    BEFORE TRUNCATE ON poolkeeper.operations
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change('fund operations are never changed; distribute or call again, or reverse ledger rows');
CREATE TRIGGER obligations_append_only
    BEFORE UPDATE OR DELETE ON poolkeeper.obligations
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change('obligations are never changed; a reversed payment makes its amount outstanding again');
CREATE TRIGGER obligations_no_truncate
    BEFORE TRUNCATE ON poolkeeper.obligations
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change('obligations are never changed; a reversed payment makes its amount outstanding again');
CREATE TRIGGER obligation_payments_append_only
    BEFORE UPDATE OR DELETE ON poolkeeper.obligation_payments
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change('payments are never changed; reverse the payment''s ledger row instead');
CREATE TRIGGER obligation_payments_no_truncate
    BEFORE TRUNCATE ON poolkeeper.obligation_payments
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change('payments are never changed; reverse the payment''s ledger row instead');
