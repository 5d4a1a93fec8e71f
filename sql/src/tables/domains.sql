-- nonnegative_total: a running total that never goes below zero. A domain,
-- not a CHECK constraint on each column: PostgreSQL prepares a domain's check
-- once per session, but re-reads a table's CHECK constraints on every
-- statement, and positions are updated by every post.
CREATE DOMAIN poolkeeper.nonnegative_total AS numeric
    CHECK (VALUE >= 0);
