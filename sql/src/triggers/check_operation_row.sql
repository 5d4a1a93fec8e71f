-- check_operation_row: raises PKA01 unless ledger row p_row may carry its
-- operation_id: it is a distribution (not a reversal) of the pool of a
-- distribution operation written in the current database transaction, and
-- distribute is writing that operation's rows now (it sets
-- poolkeeper.writing_operation for its INSERT). That stops an application
-- from giving its own rows an operation id by mistake. It does not stop a
-- role that may INSERT into poolkeeper.operations and the ledger directly
-- and sets the setting itself: such a role could write rows that raise no
-- alert of their own (verify() reports rows that do not sum to their
-- operation's total). Direct writes are for the owner only once roles are
-- in place.
CREATE FUNCTION poolkeeper.check_operation_row(p_row poolkeeper.transactions)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_row.reverses_id IS NOT NULL OR p_row.kind IS DISTINCT FROM 'distribution'
       OR current_setting('poolkeeper.writing_operation', true) IS DISTINCT FROM p_row.operation_id::text
       OR NOT EXISTS (SELECT 1 FROM poolkeeper.operations o
                       WHERE o.id = p_row.operation_id AND o.kind = 'distribution'
                         AND o.pool_id = p_row.pool_id AND o.xact_id = pg_current_xact_id()) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('operation_id %s is set only by distribute, on the rows of the distribution it writes',
                             p_row.operation_id);
    END IF;
END;
$$;
