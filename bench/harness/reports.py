"""Reports against the plain SQL a DBA would write without poolkeeper.

top_investors(5) against the classic GROUP BY over the whole ledger;
pool_summary of the largest pool against sums over its ledger rows;
investor_statement for the last year of the investor in most pools against
the same sums written by hand. Each pair must give the same figures, and
not vacuously (five investors; a pool with contributions; an investor with
rows in more than one pool),
then each runs once to warm up and is timed over repeated runs; medians and
their ratio are quoted.
"""
import pg
from stats import median, spread

TOP_REFERENCE = """
SELECT investor_id, COUNT(DISTINCT pool_id) AS unique_pools, SUM(amount) AS total_investment
  FROM poolkeeper.transactions WHERE kind = 'contribution'
 GROUP BY investor_id ORDER BY unique_pools DESC, total_investment DESC, investor_id LIMIT 5"""
TOP = "SELECT investor_id, pool_count, total_invested FROM poolkeeper.top_investors(5)"

SUMMARY = "SELECT contributed, distributed, last_activity_at FROM poolkeeper.pool_summary WHERE pool_id = %(pool)s"
SUMMARY_REFERENCE = """
SELECT coalesce(sum(CASE WHEN reverses_id IS NULL THEN amount ELSE -amount END) FILTER (WHERE kind = 'contribution'), 0),
       coalesce(sum(CASE WHEN reverses_id IS NULL THEN amount ELSE -amount END) FILTER (WHERE kind = 'distribution'), 0),
       max(occurred_at)
  FROM poolkeeper.transactions WHERE pool_id = %(pool)s"""

STATEMENT = """SELECT pool_id, opening_balance, contributed, distributed, closing_balance
  FROM poolkeeper.investor_statement(%(investor)s, now() - interval '1 year', NULL)"""
STATEMENT_REFERENCE = """
SELECT pool_id,
       coalesce(sum(amount) FILTER (WHERE occurred_at < now() - interval '1 year' AND kind = 'contribution'), 0),
       coalesce(sum(amount) FILTER (WHERE occurred_at >= now() - interval '1 year' AND kind = 'contribution'), 0),
       coalesce(sum(amount) FILTER (WHERE occurred_at >= now() - interval '1 year' AND kind = 'distribution'), 0),
       coalesce(sum(amount) FILTER (WHERE kind = 'contribution'), 0)
  FROM poolkeeper.transactions WHERE investor_id = %(investor)s
 GROUP BY pool_id ORDER BY pool_id"""


def measure(database, profile):
    """Times the three reports and their references; returns a list of
    (name, ours_ms_samples, reference_ms_samples, same_result)."""
    connection = pg.connect(database)
    pool = pg.value(connection, "SELECT pool_id FROM poolkeeper.positions GROUP BY pool_id ORDER BY count(*) DESC LIMIT 1")
    investor = pg.value(connection, "SELECT investor_id FROM poolkeeper.investor_totals ORDER BY pool_count DESC, investor_id LIMIT 1")
    arguments = {"pool": pool, "investor": investor}
    pairs = [("`top_investors(5)`", TOP, TOP_REFERENCE, lambda ours, theirs: ours == theirs and len(ours) == 5),
             ("`pool_summary` of the largest pool", SUMMARY, SUMMARY_REFERENCE,
              lambda ours, theirs: ours == theirs and ours[0][0] > 0),
             ("`investor_statement`, last year, investor in most pools", STATEMENT, STATEMENT_REFERENCE,
              lambda ours, theirs: ours == theirs and len(ours) > 1)]
    results = []
    for name, ours_sql, reference_sql, same in pairs:
        ours, ours_rows = pg.timed_ms(connection, ours_sql, profile.report_runs, arguments)
        theirs, reference_rows = pg.timed_ms(connection, reference_sql, profile.reference_runs, arguments)
        results.append((name, ours, theirs, same(ours_rows, reference_rows)))
    connection.close()
    return results


def summarize(results):
    """name -> (our median ms, reference median ms, ratio, same, our spread)."""
    return {name: (median(ours), median(theirs), median(theirs) / median(ours), same, spread(ours))
            for name, ours, theirs, same in results}
