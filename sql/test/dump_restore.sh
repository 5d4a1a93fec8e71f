#!/usr/bin/env bash
# dump_restore.sh — a pg_dump of a database using poolkeeper restores to the
# same ledger, positions and id sequences, when restored with triggers off
# (session_replication_role = replica, as pg_restore --disable-triggers does),
# fund operations and valuations included.
# Run by scripts/test with the private database's libpq settings; prints TAP.
set -euo pipefail
bindir=/usr/lib/postgresql/15/bin
src=poolkeeper_dump_src
dst=poolkeeper_dump_dst
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT
q() { "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" \
  -c "CREATE DATABASE $src" -c "CREATE DATABASE $dst"
q -d "$src" >/dev/null <<'SQL'
CREATE EXTENSION poolkeeper;
SELECT poolkeeper.create_manager('M');
SELECT poolkeeper.create_pool(1, 'Open', 'USD'), poolkeeper.create_pool(1, 'Closed later', 'JPY');
SELECT poolkeeper.create_investor('A'), poolkeeper.create_investor('B');
SELECT poolkeeper.add_investor(p, i) FROM generate_series(1, 2) p, generate_series(1, 2) i;
SELECT poolkeeper.set_alert_rule(NULL, 900), poolkeeper.set_alert_rule(1, 75, '30 seconds');
SELECT poolkeeper.post_transaction(1, 1, 'contribution', 100, 'k-1'), poolkeeper.post_transaction(1, 2, 'contribution', 50),
       poolkeeper.post_transaction(1, 1, 'withdrawal', 30), poolkeeper.post_transaction(2, 1, 'contribution', 1000),
       poolkeeper.post_transaction(2, 2, 'distribution', 7);
SELECT poolkeeper.reverse_transaction(2, 'entered twice');
SELECT poolkeeper.remove_investor(1, 2);
SELECT poolkeeper.raise_alert('spike', 1, '{"n_short": 9}', 'spike-1');
SELECT poolkeeper.close_pool(2);
SELECT poolkeeper.distribute(1, 10), poolkeeper.record_valuation(1, '2020-06-30', 80);
SQL
"$bindir/pg_dump" -d "$src" -f "$dump" 2>/dev/null
PGOPTIONS='-c session_replication_role=replica' q -d "$dst" -f "$dump" >/dev/null

snapshot() {
    q -d "$1" -c "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM poolkeeper.transactions t" \
              -c "SELECT md5(string_agg(p::text, ',' ORDER BY pool_id, investor_id)) FROM poolkeeper.positions p" \
              -c "SELECT md5(string_agg(t::text, ',' ORDER BY investor_id)) FROM poolkeeper.investor_totals t" \
              -c "SELECT md5(string_agg(m::text, ',' ORDER BY id)) FROM poolkeeper.memberships m" \
              -c "SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM poolkeeper.pools p" \
              -c "SELECT md5(string_agg(a::text, ',' ORDER BY id)) FROM poolkeeper.alerts a" \
              -c "SELECT md5(string_agg(r::text, ',' ORDER BY pool_id NULLS FIRST)) FROM poolkeeper.alert_rules r" \
              -c "SELECT md5(string_agg((o.id, o.pool_id, o.kind, o.total)::text, ',' ORDER BY id)) FROM poolkeeper.operations o" \
              -c "SELECT md5(string_agg((v.pool_id, v.as_of, v.nav)::text, ',' ORDER BY pool_id, as_of)) FROM poolkeeper.valuations v"
}
n=0; failed=0
check() {  # check DESCRIPTION COMMAND...: one TAP line
    n=$((n + 1))
    if "${@:2}"; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}
same_data() { [ "$(snapshot "$src")" = "$(snapshot "$dst")" ]; }
verify_clean() { [ "$(q -d "$dst" -c 'SELECT count(*) FROM poolkeeper.verify()')" = 0 ]; }
next_id_is_new() { [ "$(q -d "$dst" -c "SELECT poolkeeper.post_transaction(1, 1, 'contribution', 1)")" = 8 ]; }
key_replays() { [ "$(q -d "$dst" -c "SELECT poolkeeper.post_transaction(1, 1, 'contribution', 100, 'k-1')")" = 1 ]; }
closed_stays_closed() {
    local out
    out=$(q -d "$dst" -v VERBOSITY=sqlstate -c "SELECT poolkeeper.post_transaction(2, 1, 'contribution', 1)" 2>&1 || true)
    [ "$out" = "ERROR:  PKS01" ]
}

has_alerts() { [ "$(q -d "$dst" -c 'SELECT count(*) FROM poolkeeper.alerts')" = 3 ]; }
rebased_feed() {
    q -d "$dst" -c 'SELECT poolkeeper.rebase_feed()' >/dev/null &&
    [ "$(q -d "$dst" -c 'SELECT string_agg(id::text, $$,$$ ORDER BY id) FROM poolkeeper.transactions_after(NULL)')" = "1,2,3,4,5,6,7" ] &&
    [ "$(q -d "$dst" -c 'SELECT count(*) FROM poolkeeper.alerts_after(NULL)')" = 3 ] &&
    [ "$(q -d "$dst" -c 'SELECT count(*) FROM poolkeeper.transactions_after(poolkeeper.feed_cursor())')" = 0 ]
}
alert_rules_apply() {
    [ "$(q -d "$dst" -c "SELECT poolkeeper.post_transaction(1, 1, 'contribution', 76) IS NOT NULL")" = t ] &&
    [ "$(q -d "$dst" -c "SELECT count(*) FROM poolkeeper.alerts")" = 4 ]
}

check "the restored ledger, positions, memberships, pools, alerts and rules equal the originals" same_data
check "the alerts came along" has_alerts
check "after rebase_feed(), the feeds hand out every restored row once from the start, and none from now" rebased_feed
check "verify() finds nothing wrong after the restore" verify_clean
check "the id sequence continues after the restored rows" next_id_is_new
check "idempotency keys replay after the restore" key_replays
check "a pool closed before the dump stays closed" closed_stays_closed
check "the restored alert rules apply to new posts" alert_rules_apply
check "verify() finds nothing wrong after posting on the restored database" verify_clean
echo "1..$n"
q -d postgres -c "DROP DATABASE $src" -c "DROP DATABASE $dst" >/dev/null
[ "$failed" -eq 0 ]
