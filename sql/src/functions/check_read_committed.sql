-- check_read_committed: raises 0A000 unless the transaction is READ
-- COMMITTED. call_capital and pay_capital_call check a limit (commitments,
-- what is still owed) against rows other transactions may have just
-- committed; they lock the rows the limit depends on, and only a READ
-- COMMITTED statement sees what committed while it waited for the lock.
CREATE FUNCTION poolkeeper.check_read_committed(p_what text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = '0A000',
            MESSAGE = format('%s runs only in a READ COMMITTED transaction, not %s', p_what,
                             upper(current_setting('transaction_isolation')));
    END IF;
END;
$$;
