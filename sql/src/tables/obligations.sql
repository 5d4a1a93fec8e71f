-- What each investor owes on a capital call: one row per member with a
-- non-zero share, written by call_capital. called never changes; what has
-- been paid is the sum of the unreversed contributions recorded against the
-- obligation in obligation_payments (the view capital_call_obligations
-- shows called, paid and outstanding).
CREATE TABLE poolkeeper.obligations (
    operation_id bigint NOT NULL REFERENCES poolkeeper.operations (id),
    investor_id  bigint NOT NULL REFERENCES poolkeeper.investors (id),
    called       numeric NOT NULL CHECK (called > 0),
    PRIMARY KEY (operation_id, investor_id)
);

CREATE INDEX obligations_investor_id ON poolkeeper.obligations (investor_id);

-- The contributions that paid an obligation (pay_capital_call). A reversed
-- contribution stays here and no longer counts as paid. No foreign key to
-- the ledger, whose rows are never deleted: one would make TRUNCATE of the
-- ledger fail on the key before the ledger's own refusal (verify() checks
-- each payment's row).
CREATE TABLE poolkeeper.obligation_payments (
    transaction_id bigint PRIMARY KEY,
    operation_id   bigint NOT NULL,
    investor_id    bigint NOT NULL,
    FOREIGN KEY (operation_id, investor_id) REFERENCES poolkeeper.obligations (operation_id, investor_id)
);

CREATE INDEX obligation_payments_obligation ON poolkeeper.obligation_payments (operation_id, investor_id);
