"""Ingest: post_transaction through the full write path against a bare INSERT.

In one database, 100 pools of 100 investors each (10,000 investors, one open
position each) and a large-transaction threshold of 999.99 in force, so that
about one post in a thousand raises an alert (and its NOTIFY). A post locks
its investor's totals row and then its position, so posts contend on the
investor and the position, never on the pool as a whole. For each client
count, rounds run, in an order that rotates from round to round:
  bare    INSERT into a plain table of the ledger's shape, no trigger: the
          physical limit of one committed row,
  post    post_transaction on a random one of the 10,000 positions: rules,
          position and investor totals, alert check, feed column,
  hot     post_transaction with every client on one pool: its 100 investors
          and positions,
  batch   BATCH posts in one call of post_transactions (one statement, one
          commit), which posts them in the order in which posts take their
          locks, so batches never deadlock; counted in rows: what a loader
          that groups its posts gets (PoolKeeperClient.postBatch).
and then the same bare INSERT and spread post with synchronous_commit = off
(bare-async, post-async): with durable commits on a slow disk both wait for
the WAL flush, and the ratio says more about the disk than about the write
path; without the wait, both run on the CPU and the ratio is the write
path's own cost. Ratios are taken within each round (machine speed drifts
between rounds), each against the bare INSERT of its own commit setting,
then their median is quoted.
"""
import markdown as md
import pg
from plain_table import PLAIN_TABLE
from stats import median, spread

DATABASE = "poolkeeper_bench_ingest"
POOLS = 100
MEMBERS = 100  # per pool; investor i is a member of pool (i - 1) / MEMBERS + 1
INVESTORS = POOLS * MEMBERS

SETUP = f"""
SET client_min_messages = warning;
SELECT poolkeeper.create_manager('bench') \\gset
SELECT count(poolkeeper.create_pool(1, 'pool ' || g, 'USD')) FROM generate_series(1, {POOLS}) g \\gset
SELECT count(poolkeeper.create_investor('investor ' || g)) FROM generate_series(1, {INVESTORS}) g \\gset
SELECT count(poolkeeper.add_investor((i - 1) / {MEMBERS} + 1, i)) FROM generate_series(1, {INVESTORS}) i \\gset
SELECT poolkeeper.set_alert_rule(NULL, 999.99) \\gset
{PLAIN_TABLE}VACUUM ANALYZE;
"""

PICK = f"""\\set investor random(1, {INVESTORS})
\\set pool (:investor - 1) / {MEMBERS} + 1
\\set amount random(1, 1000)
"""
BARE = PICK + """INSERT INTO bench_plain (pool_id, investor_id, kind, amount, occurred_at, recorded_at, xact_id, posted_by)
VALUES (:pool, :investor, 'contribution', :amount, now(), clock_timestamp(), pg_current_xact_id(), current_user);
"""
POST = PICK + "SELECT poolkeeper.post_transaction(:pool, :investor, 'contribution', :amount);\n"
HOT = f"""\\set investor random(1, {MEMBERS})
\\set amount random(1, 1000)
SELECT poolkeeper.post_transaction(1, :investor, 'contribution', :amount);
"""


def batch_script(size):
    """size posts on random positions, in random order, in one call of
    post_transactions, which sorts them into lock order itself."""
    return (f"SELECT cardinality(poolkeeper.post_transactions((\n"
            f"  SELECT jsonb_agg(jsonb_build_object('pool_id', (investor_id - 1) / {MEMBERS} + 1, 'investor_id', investor_id,\n"
            f"                                      'kind', 'contribution', 'amount', amount))\n"
            f"    FROM (SELECT 1 + floor(random() * {INVESTORS})::int AS investor_id, 1 + floor(random() * 1000)::int AS amount\n"
            f"            FROM generate_series(1, {size})) batch)));\n")


def run(profile, log):
    """Runs the ingest benchmark; returns (markdown, figures)."""
    log(f"ingest: {POOLS} pools x {INVESTORS} investors in {DATABASE}")
    pg.recreate_database(DATABASE)
    pg.psql(DATABASE, SETUP)
    asynchronous = "-c synchronous_commit=off"
    scripts = {"bare": (BARE, 1, ""), "post": (POST, 1, ""), "hot": (HOT, 1, ""),
               "batch": (batch_script(profile.batch_size), profile.batch_size, ""),
               "bare-async": (BARE, 1, asynchronous), "post-async": (POST, 1, asynchronous)}
    results = {}
    for clients in profile.client_counts:
        samples = {kind: [] for kind in scripts}
        ratios = {kind: [] for kind in scripts if not kind.startswith("bare")}
        for round_number in range(1, profile.rounds + 1):
            order = list(scripts)[round_number - 1:] + list(scripts)[:round_number - 1]
            for kind in order:
                script, rows_per_transaction, options = scripts[kind]
                samples[kind].append(pg.pgbench_tps(DATABASE, script, clients, profile.seconds, options) * rows_per_transaction)
            for kind in ratios:
                reference = "bare-async" if kind.endswith("-async") else "bare"
                ratios[kind].append(samples[kind][-1] / samples[reference][-1])
            log(f"  {clients:>2} clients, round {round_number}: " +
                ", ".join(f"{kind} {samples[kind][-1]:,.0f} rows/s" for kind in scripts))
        results[clients] = (samples, ratios)
    problems = pg.value_in(DATABASE, "SELECT count(*) FROM poolkeeper.verify()")
    return render(profile, results, problems), figures(results)


def figures(results):
    """The figures the targets need: those of 8 clients (every profile runs 8)."""
    samples, ratios = results[8]
    return {"post_ratio_8": median(ratios["post"]), "hot_ratio_8": median(ratios["hot"]),
            "post_async_ratio_8": median(ratios["post-async"]), "batch_ratio_8": median(ratios["batch"])}


def render(profile, results, problems):
    names = {"bare": "bare INSERT, plain table (the limit)",
             "post": "`post_transaction`, spread (10,000 investors and positions)",
             "hot": "`post_transaction`, one hot pool (100 investors and positions)",
             "batch": f"`post_transactions`, {profile.batch_size} posts per call (batch)",
             "bare-async": "bare INSERT, synchronous_commit off", "post-async": "`post_transaction`, spread, synchronous_commit off"}
    rows = []
    for clients, (samples, ratios) in results.items():
        for kind in samples:
            ratio = "1.00x" if kind.startswith("bare") else f"{median(ratios[kind]):.2f}x ({min(ratios[kind]):.2f}–{max(ratios[kind]):.2f})"
            rows.append([clients, names[kind], md.count(median(samples[kind])), md.percent(spread(samples[kind])), ratio])
    text = [
        "## Ingest",
        "",
        f"pgbench (`-M prepared`, as many threads as clients up to 2, `--max-tries 3`), {profile.rounds} rounds of "
        f"{profile.seconds} s per client count, the runs of a round in an order that rotates from round to round; "
        "rows committed per second, median of the rounds; *spread* is (max - min) / median of those rounds; "
        "the ratio to bare INSERT is taken within each round, its median quoted with the lowest and highest round. "
        "Every post goes through the full path: the rules, the position and investor totals, the large-transaction "
        "check against a threshold in force (about one post in 1,000 raises an alert and its NOTIFY) and the feed column. "
        "Two more runs of each round turn `synchronous_commit` off for both sides (their ratio is to the bare "
        "INSERT of the same setting): a commit then does not wait for the disk, and the ratio is the CPU cost of the write "
        "path alone. The batch run posts its rows, drawn at random, in one call of `post_transactions` (the call behind "
        "`PoolKeeperClient.postBatch`), which posts them in the order in which a post takes its locks, so that concurrent "
        "batches cannot deadlock; its rows/s counts rows, not statements.",
        "",
        md.table(["clients", "run", "rows/s (median)", "spread", "vs bare INSERT"], rows, "rlrrr"),
        "",
        f"`verify()` after the runs: {problems} problems.",
    ]
    return "\n".join(text)
