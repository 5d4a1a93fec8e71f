"""A large ledger, loaded the way a restore loads one, for growth and reports.

POOLS pools (one in five in EUR), INVESTORS investors, each a member of 1 to
40 pools (skewed towards few); 90% of the rows are contributions and 10%
distributions, occurred_at rising over two years. Rows go in with triggers off
(session_replication_role = replica) in batches of a million, then positions
and investor_totals are derived from the ledger in SQL, as the triggers would
have kept them; verify() checks that at the first size.
bench_members numbers the memberships 1..n, for pgbench to pick one at random.
"""
import pg
from plain_table import PLAIN_TABLE

BATCH = 1_000_000
SPAN_DAYS = 730


def set_up(database, pools, investors):
    """Creates the parties and memberships; returns the number of memberships."""
    pg.recreate_database(database)
    pg.psql(database, f"""
SET client_min_messages = warning;
SELECT setseed(0.6) \\gset
SELECT poolkeeper.create_manager('bench') \\gset
SELECT count(poolkeeper.create_pool(1, 'pool ' || g, CASE WHEN g % 5 = 0 THEN 'EUR' ELSE 'USD' END))
  FROM generate_series(1, {pools}) g \\gset
SELECT count(poolkeeper.create_investor('investor ' || g)) FROM generate_series(1, {investors}) g \\gset
-- Memberships in bulk (add_investor one by one would take minutes): the rows add_investor writes.
INSERT INTO poolkeeper.memberships (pool_id, investor_id, joined_at)
SELECT DISTINCT 1 + floor(random() * {pools})::int + 0 * k, i, now() - interval '3 years'
  FROM generate_series(1, {investors}) i
 CROSS JOIN LATERAL generate_series(1, 1 + floor(power(random(), 3) * 40)::int + 0 * i) k;
INSERT INTO poolkeeper.positions (pool_id, investor_id, currency, minor_units)
SELECT m.pool_id, m.investor_id, p.currency, c.minor_units
  FROM poolkeeper.memberships m JOIN poolkeeper.pools p ON p.id = m.pool_id
  JOIN poolkeeper.currencies c ON c.code = p.currency;
CREATE TABLE bench_members AS SELECT row_number() OVER () AS n, pool_id, investor_id FROM poolkeeper.memberships;
CREATE UNIQUE INDEX ON bench_members (n);
{PLAIN_TABLE}
ANALYZE;
""")
    return int(pg.value_in(database, "SELECT count(*) FROM bench_members"))


def load(database, members, loaded, size, final_size, log):
    """Adds ledger rows until there are size (loaded exist); returns size."""
    while loaded < size:
        n = min(size - loaded, BATCH)
        pg.psql(database, f"""
SET session_replication_role = replica;
INSERT INTO poolkeeper.transactions (id, pool_id, investor_id, kind, amount, occurred_at, recorded_at, xact_id)
SELECT nextval('poolkeeper.transactions_id_seq'), m.pool_id, m.investor_id, g.kind, g.amount, g.at, g.at, pg_current_xact_id()
  FROM (SELECT 1 + floor(random() * {members})::int AS n,
               CASE WHEN random() < 0.9 THEN 'contribution' ELSE 'distribution' END AS kind,
               round((1 + random() * 5000)::numeric, 2) AS amount,
               now() - interval '{SPAN_DAYS} days' + (({loaded} + s)::float8 / {final_size} * {SPAN_DAYS}) * interval '1 day' AS at
          FROM generate_series(1, {n}) s) g
  JOIN bench_members m USING (n);
""")
        loaded += n
        log(f"  loaded {loaded:,} ledger rows")
    return loaded


def derive(database):
    """Positions and investor_totals from the ledger alone, then VACUUM ANALYZE."""
    pg.psql(database, """
SET session_replication_role = replica;
-- Positions whose rows were all taken out again (growth's posts) go back to zero.
UPDATE poolkeeper.positions SET contributed = 0, distributed = 0, withdrawn = 0, fees = 0, net_invested = 0
 WHERE contributed <> 0 OR distributed <> 0 OR withdrawn <> 0 OR fees <> 0 OR net_invested <> 0;
UPDATE poolkeeper.positions p
   SET contributed = s.contributed, distributed = s.distributed, net_invested = s.contributed
  FROM (SELECT pool_id, investor_id,
               coalesce(sum(amount) FILTER (WHERE kind = 'contribution'), 0) AS contributed,
               coalesce(sum(amount) FILTER (WHERE kind = 'distribution'), 0) AS distributed
          FROM poolkeeper.transactions GROUP BY pool_id, investor_id) s
 WHERE p.pool_id = s.pool_id AND p.investor_id = s.investor_id;
DELETE FROM poolkeeper.investor_totals;
INSERT INTO poolkeeper.investor_totals (investor_id, pool_count, contributed)
SELECT investor_id, count(*) FILTER (WHERE contributed > 0), sum(contributed)
  FROM poolkeeper.positions GROUP BY investor_id;
VACUUM ANALYZE;
""")
