"""Growth: ingest and reports as the ledger grows (ledger_data builds it).

At each ledger size, with exactly that many rows: first the reports against
their plain-SQL references (reports), then rounds alternating a bare INSERT
and post_transaction on a random one of the ~1 million positions (each run
looks its position up in bench_members, the bare INSERT too), with 8
clients, then verify() over the whole ledger, which checks the trigger's
work during those rounds. The rows the rounds posted are then taken out
again (triggers off), so that the next size holds loaded rows only and its
dates stay in order. The ingest target: throughput may fall at most 10% from
the first size to the last. Machine speed drifts between the sizes too, so
the change is given both raw and relative to the bare INSERT measured in the
same rounds; the target is judged on both.
"""
import ledger_data
import markdown as md
import pg
import reports
from stats import median, spread

DATABASE = "poolkeeper_bench_growth"
CLIENTS = 8


def ingest_scripts(members):
    pick = f"\\set n random(1, {members})\n\\set amount random(1, 1000)\n"
    post = pick + ("SELECT poolkeeper.post_transaction(pool_id, investor_id, 'contribution', :amount)"
                   " FROM bench_members WHERE n = :n;\n")
    bare = pick + ("INSERT INTO bench_plain (pool_id, investor_id, kind, amount, occurred_at, recorded_at, xact_id, posted_by)"
                   " SELECT pool_id, investor_id, 'contribution', :amount, now(), clock_timestamp(), pg_current_xact_id(), current_user"
                   " FROM bench_members WHERE n = :n;\n")
    return bare, post


def run(profile, log):
    """Loads each size in turn and measures it; returns (markdown, figures)."""
    log(f"growth: {profile.growth_pools:,} pools, {profile.growth_investors:,} investors in {DATABASE}")
    members = ledger_data.set_up(DATABASE, profile.growth_pools, profile.growth_investors)
    log(f"  {members:,} memberships")
    bare_script, post_script = ingest_scripts(members)
    sizes = []
    for size in profile.ledger_sizes:
        connection = pg.connect(DATABASE)
        loaded = pg.value(connection, "SELECT count(*) FROM poolkeeper.transactions")
        ledger_data.load(DATABASE, members, loaded, size, profile.ledger_sizes[-1], log)
        ledger_data.derive(DATABASE)
        rows = pg.value(connection, "SELECT count(*) FROM poolkeeper.transactions")
        on_disk = pg.value(connection, "SELECT pg_size_pretty(pg_total_relation_size('poolkeeper.transactions'))")
        log(f"  {rows:,} rows: reports")
        report_results = reports.summarize(reports.measure(DATABASE, profile))
        last_loaded = pg.value(connection, "SELECT max(id) FROM poolkeeper.transactions")
        bare, post, ratios = [], [], []
        for round_number in range(1, profile.rounds + 1):
            bare.append(pg.pgbench_tps(DATABASE, bare_script, CLIENTS, profile.seconds))
            post.append(pg.pgbench_tps(DATABASE, post_script, CLIENTS, profile.seconds))
            ratios.append(post[-1] / bare[-1])
            log(f"  {rows:,} rows, round {round_number}: bare {bare[-1]:,.0f}/s, post {post[-1]:,.0f}/s")
        problems = pg.value(connection, "SELECT count(*) FROM poolkeeper.verify()")
        posted = pg.value(connection, "SELECT count(*) FROM poolkeeper.transactions WHERE id > %s", (last_loaded,))
        pg.psql(DATABASE, f"""
SET session_replication_role = replica;
DELETE FROM poolkeeper.alerts WHERE transaction_id > {last_loaded};
DELETE FROM poolkeeper.transactions WHERE id > {last_loaded};
TRUNCATE bench_plain;
""")
        connection.close()
        sizes.append({"size": rows, "members": members, "on_disk": on_disk, "problems": problems, "posted": posted,
                      "bare": bare, "post": post, "ratios": ratios, "reports": report_results})
    pg.psql("postgres", f"DROP DATABASE {DATABASE}")  # gigabytes at 10 million rows
    return render(profile, sizes), figures(sizes)


def figures(sizes):
    first, last = sizes[0], sizes[-1]
    raw = median(last["post"]) / median(first["post"]) - 1
    relative = median(last["ratios"]) / median(first["ratios"]) - 1
    top = "`top_investors(5)`"
    return {"growth_raw_change": raw, "growth_relative_change": relative,
            "growth_first": first["size"], "growth_last": last["size"],
            "top_ms": [s["reports"][top][0] for s in sizes]}


def render(profile, sizes):
    f = figures(sizes)
    header = ["", *[f"{s['size']:,} rows" for s in sizes]]
    ingest_rows = [
        ["bare INSERT (with the member lookup), rows/s"] + [f"{md.count(median(s['bare']))} (spread {md.percent(spread(s['bare']))})" for s in sizes],
        ["`post_transaction`, rows/s"] + [f"{md.count(median(s['post']))} (spread {md.percent(spread(s['post']))})" for s in sizes],
        ["post / bare, median of the rounds"] + [md.ratio(median(s["ratios"])) for s in sizes],
        ["ledger with its indexes"] + [s["on_disk"] for s in sizes],
        ["`verify()` problems after the posts (rows posted)"] + [f"{s['problems']} ({s['posted']:,})" for s in sizes],
    ]
    report_rows = []
    for name in sizes[0]["reports"]:
        for label, index in (("poolkeeper", 0), ("plain SQL reference", 1)):
            report_rows.append([f"{name}: {label}"] + [
                md.ms(s["reports"][name][index]) + (f" (spread {md.percent(s['reports'][name][4])})" if index == 0 else "")
                for s in sizes])
        report_rows.append([f"{name}: reference / poolkeeper"] + [md.ratio(s["reports"][name][2]) for s in sizes])
    same = all(s["reports"][name][3] for s in sizes for name in s["reports"])
    last = sizes[-1]
    text = [
        "## Growth and reports",
        "",
        f"{profile.growth_pools:,} pools (one in five in EUR), {profile.growth_investors:,} investors, "
        f"{last['members']:,} memberships. The ledger is loaded as a restore loads it (triggers off), "
        "90% contributions and 10% distributions over two years, then positions and investor totals are derived "
        "from it. "
        f"At each size, with exactly that many rows: the reports, then ingest: {CLIENTS} clients, {profile.rounds} "
        f"alternating rounds of {profile.seconds} s, each post on a random one of the memberships (looked up in a "
        "numbered copy, by the bare INSERT too), then `verify()` over the whole ledger; the posted rows are then taken "
        "out again, so that the next size holds loaded rows only.",
        "",
        md.table(header, ingest_rows),
        "",
        f"Ingest from {f['growth_first']:,} to {f['growth_last']:,} rows: {f['growth_raw_change'] * 100:+.1f}% raw, "
        f"{f['growth_relative_change'] * 100:+.1f}% relative to the bare INSERT of the same rounds "
        f"(target: no fall of more than 10%, judged on both: "
        f"{md.verdict(f['growth_relative_change'] >= -0.10 and f['growth_raw_change'] >= -0.10)}).",
        "",
        f"Reports: median of {profile.report_runs} runs (the references: {profile.reference_runs}) after one warm-up run, "
        "wall time as a client sees it; the ratio is one of those medians, timed one after the other. The ledger holds "
        "no reversals, so the references may ignore them, as the classic query does. "
        f"Each pair gave the same figures at every size: {'yes' if same else '**NO**'}.",
        "",
        md.table(header, report_rows),
    ]
    return "\n".join(text)
