#!/usr/bin/env bash
# upgrade.sh — every upgrade path ends where a fresh install of the current
# version does: the same objects with the same definitions, and the data
# written before the upgrade still verifies and is in the feed exactly once.
# Run by scripts/test with the private database's libpq settings; prints TAP.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bindir=/usr/lib/postgresql/15/bin
fresh=poolkeeper_upgrade_fresh
old=poolkeeper_upgrade_old
current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$here/../poolkeeper.control")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

n=0; failed=0
check() {  # check DESCRIPTION COMMAND...: one TAP line
    n=$((n + 1))
    if "${@:2}"; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}

q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $fresh" -c "CREATE DATABASE $fresh"
q -d "$fresh" -c "SET client_min_messages = warning" -c "CREATE EXTENSION poolkeeper"
q -d "$fresh" -f "$here/schema_fingerprint.sql" > "$work/fresh"

for from in $(ls "$here"/../released/ | sed -n 's/^poolkeeper--\(.*\)\.sql$/\1/p' | grep -vx "$current"); do
    q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $old" -c "CREATE DATABASE $old"
    q -d "$old" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION poolkeeper VERSION '$from';
SELECT poolkeeper.create_manager('M');
SELECT poolkeeper.create_pool(1, 'Dollars', 'USD'), poolkeeper.create_pool(1, 'Yen', 'JPY');
SELECT poolkeeper.create_investor('A'), poolkeeper.create_investor('B');
SELECT poolkeeper.add_investor(p, i) FROM generate_series(1, 2) p, generate_series(1, 2) i;
SELECT poolkeeper.post_transaction(1, 1, 'contribution', 100, 'k-1'), poolkeeper.post_transaction(1, 2, 'contribution', 50),
       poolkeeper.post_transaction(1, 1, 'withdrawal', 30), poolkeeper.post_transaction(2, 1, 'contribution', 1000);
SELECT poolkeeper.reverse_transaction(2, 'entered twice');
SELECT poolkeeper.remove_investor(1, 2);
SQL
    # What a site may have granted by hand before 0.5.0 brought roles: the
    # upgrade to 0.5.0 revokes it. Versions from 0.5.0 on have their roles.
    before_roles=0
    [ "$(printf '%s\n' "$from" 0.5.0 | sort -V | head -1)" = 0.5.0 ] || before_roles=1
    [ "$before_roles" -eq 0 ] || q -d "$old" >/dev/null <<SQL
-- What a site may have granted by hand before 0.5.0 brought roles: the
-- upgrade to 0.5.0 revokes it (the fingerprint compares every ACL): to a
-- role, WITH GRANT OPTION and passed on, to a role whose name needs quotes,
-- column privileges, to PUBLIC, and to a group role made by the fresh
-- install above (roles belong to the cluster).
DO \$\$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pk_upgrade_app') THEN CREATE ROLE pk_upgrade_app NOLOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'PK Upgrade Reader') THEN CREATE ROLE "PK Upgrade Reader" NOLOGIN; END IF;
END \$\$;
GRANT USAGE ON SCHEMA poolkeeper TO pk_upgrade_app WITH GRANT OPTION;
GRANT ALL ON ALL TABLES IN SCHEMA poolkeeper TO pk_upgrade_app WITH GRANT OPTION;
GRANT ALL ON ALL SEQUENCES IN SCHEMA poolkeeper TO pk_upgrade_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA poolkeeper TO pk_upgrade_app;
SET ROLE pk_upgrade_app;
GRANT USAGE ON SCHEMA poolkeeper TO "PK Upgrade Reader";
GRANT SELECT ON poolkeeper.pools TO "PK Upgrade Reader";
RESET ROLE;
GRANT UPDATE (name) ON poolkeeper.investors TO "PK Upgrade Reader";
GRANT SELECT ON ALL TABLES IN SCHEMA poolkeeper TO PUBLIC;
GRANT INSERT ON poolkeeper.transactions TO poolkeeper_manager;
SQL
    if ! q -d "$old" -c "ALTER EXTENSION poolkeeper UPDATE TO '$current'" 2> "$work/update.err"; then
        cat "$work/update.err" >&2
        exit 1
    fi
    q -d "$old" -f "$here/schema_fingerprint.sql" > "$work/upgraded"
    same_schema() { diff -u "$work/fresh" "$work/upgraded" >&2; }
    verifies() { [ "$(q -d "$old" -c 'SELECT count(*) FROM poolkeeper.verify()')" = 0 ]; }
    feed_has_old_rows() {
        [ "$(q -d "$old" -c 'SELECT string_agg(id::text, $$,$$ ORDER BY id) FROM poolkeeper.transactions_after(NULL)')" = "1,2,3,4,5" ]
    }
    posts_and_alerts() {
        q -d "$old" -c "SELECT poolkeeper.set_alert_rule(NULL, 500)" >/dev/null
        q -d "$old" -c "SELECT poolkeeper.post_transaction(2, 2, 'contribution', 501)" >/dev/null
        [ "$(q -d "$old" -c 'SELECT count(*) FROM poolkeeper.alerts_after(NULL)')" = 1 ] &&
        [ "$(q -d "$old" -c 'SELECT count(*) FROM poolkeeper.verify()')" = 0 ]
    }
    warned() { grep -q 'revoking every privilege of pk_upgrade_app on table poolkeeper.transactions' "$work/update.err" &&
               grep -q 'revoking every privilege of "PK Upgrade Reader" on table poolkeeper.investors' "$work/update.err" &&
               grep -q 'revoking every privilege of poolkeeper_manager on table poolkeeper.transactions' "$work/update.err" &&
               grep -q 'revoking every privilege of PUBLIC on table poolkeeper.positions' "$work/update.err"; }
    check "$from -> $current gives the same objects and definitions as a fresh $current" same_schema
    if [ "$before_roles" -eq 1 ]; then
        check "$from -> $current revokes the grants made by hand, and warns about each" warned
    else
        check "$from -> $current warns about nothing" eval '! grep -q WARNING "$work/update.err"'
    fi
    check "$from -> $current: the data written before the upgrade verifies" verifies
    check "$from -> $current: rows written before the upgrade are in the feed, once each" feed_has_old_rows
    check "$from -> $current: posting and alerting work on the upgraded database" posts_and_alerts
done
echo "1..$n"
q -d postgres -c "DROP DATABASE IF EXISTS $old" -c "DROP DATABASE $fresh" -c 'DROP ROLE IF EXISTS pk_upgrade_app, "PK Upgrade Reader"' >/dev/null
[ "$failed" -eq 0 ]
