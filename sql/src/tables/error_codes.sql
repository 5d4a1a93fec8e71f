-- Every SQLSTATE poolkeeper raises on purpose, with its meaning. Class PK is
-- ours: PKA.. bad input, PKN.. something named does not exist, PKS.. the
-- request conflicts with the state of the ledger. docs/errors.md mirrors it.
CREATE TABLE poolkeeper.error_codes (
    sqlstate text PRIMARY KEY CHECK (sqlstate ~ '^PK[A-Z][0-9]{2}$'),
    name     text NOT NULL UNIQUE,
    meaning  text NOT NULL
);

INSERT INTO poolkeeper.error_codes (sqlstate, name, meaning) VALUES
    ('PKA01', 'invalid_argument',      'an argument is NULL, empty, too long, malformed or out of range'),
    ('PKA02', 'invalid_amount',        'an amount is NULL, NaN, infinite, not positive, at least 10^18, or has more decimals than the pool currency allows'),
    ('PKA03', 'unknown_currency',      'the currency is not an ISO 4217 code known to poolkeeper.currencies'),
    ('PKA04', 'invalid_kind',          'the transaction kind is not contribution, withdrawal, distribution or fee'),
    ('PKA05', 'unknown_role',          'the login role does not exist'),
    ('PKA06', 'invalid_cursor',        'the feed cursor is malformed or belongs to the other feed'),
    ('PKN01', 'pool_not_found',        'no pool has that id'),
    ('PKN02', 'investor_not_found',    'no investor has that id'),
    ('PKN03', 'manager_not_found',     'no manager has that id'),
    ('PKN04', 'transaction_not_found', 'no ledger row has that id'),
    ('PKN05', 'operation_not_found',   'no capital call has that id'),
    ('PKN06', 'obligation_not_found',  'the investor owes nothing in that capital call'),
    ('PKS01', 'pool_closed',           'the pool is closed: it takes no new members and no ledger rows'),
    ('PKS02', 'not_a_member',          'the investor is not a current member of the pool'),
    ('PKS03', 'already_a_member',      'the investor is already a current member of the pool'),
    ('PKS04', 'insufficient_position', 'the withdrawal, fee or reversal would take net_invested below zero'),
    ('PKS05', 'position_not_zero',     'the investor still holds a non-zero net position in the pool'),
    ('PKS06', 'already_reversed',      'the ledger row has already been reversed'),
    ('PKS07', 'not_reversible',        'the ledger row is itself a reversal, or a reversal does not match the row it reverses'),
    ('PKS08', 'idempotency_conflict',  'the idempotency key was used before for a different request'),
    ('PKS09', 'immutable_ledger',      'ledger rows, positions and investor totals are never updated or deleted directly (post a reversal), and neither are alerts, fund operations, obligations or their payments'),
    ('PKS10', 'role_already_mapped',   'the login role already belongs to another manager or investor'),
    ('PKS11', 'feed_after_write',      'the feed cannot be read in a transaction that has already written or locked rows'),
    ('PKS12', 'no_allocation_basis',   'the weights to allocate pro rata to (members'' commitments or net invested capital) sum to zero'),
    ('PKS13', 'call_exceeds_commitment', 'the capital call would take a member''s called capital above their commitment'),
    ('PKS14', 'payment_exceeds_obligation', 'the payment is more than the investor still owes on the capital call'),
    ('PKS15', 'obligation_outstanding', 'the investor still owes on a capital call of the pool');
