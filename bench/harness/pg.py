"""The private database as the harness uses it: psql scripts, timed queries
and pgbench runs, all through the libpq environment (scripts/db env)."""
import os
import re
import subprocess
import tempfile
import time

import psycopg2

BINDIR = "/usr/lib/postgresql/15/bin"


def psql(database, script, quiet=True):
    """Runs a psql script in database, stopping at the first error; returns its output."""
    result = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", database],
                            input=script, text=True, capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"psql failed in {database}:\n{result.stderr}")
    return result.stdout


def recreate_database(name):
    """Drops database name if it exists and creates it anew with the extension."""
    psql("postgres", f"SET client_min_messages = warning;\nDROP DATABASE IF EXISTS {name};\nCREATE DATABASE {name};")
    psql(name, "SET client_min_messages = warning;\nCREATE EXTENSION poolkeeper;")


def connect(database):
    connection = psycopg2.connect(dbname=database)
    connection.autocommit = True
    return connection


def value_in(database, sql):
    """The first column of the first row of sql, on a connection of its own that is closed after."""
    connection = connect(database)
    try:
        return value(connection, sql)
    finally:
        connection.close()


def value(connection, sql, parameters=None):
    """The first column of the first row of sql."""
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchone()[0]


def rows(connection, sql, parameters=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchall()


def timed_ms(connection, sql, runs, parameters=None):
    """Runs sql once to warm the cache and plan, then runs times; returns each run's
    wall time in ms (execution plus fetching every row) and the last result."""
    result = rows(connection, sql, parameters)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = rows(connection, sql, parameters)
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def pgbench_tps(database, script, clients, seconds, options=""):
    """One pgbench run of script (extended protocol, prepared; a deadlock or
    serialization failure is retried up to 3 times) after a CHECKPOINT;
    returns transactions per second, without the connection time. A
    transaction that still fails fails the run."""
    value_in(database, "CHECKPOINT; SELECT 1")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as file:
        file.write(script)
    try:
        environment = dict(os.environ, PGOPTIONS=options) if options else None
        result = subprocess.run([f"{BINDIR}/pgbench", "-n", "-M", "prepared", "--max-tries", "3", "-c", str(clients),
                                 "-j", str(min(clients, 2)), "-T", str(seconds), "-f", file.name, database],
                                text=True, capture_output=True, env=environment)
    finally:
        os.unlink(file.name)
    found = re.search(r"^tps = ([0-9.]+)", result.stdout, re.MULTILINE)
    failed = re.search(r"number of failed transactions: ([1-9][0-9]*)", result.stdout)
    if result.returncode != 0 or not found or failed:
        raise RuntimeError(f"pgbench failed ({clients} clients):\n{result.stdout}\n{result.stderr}\nscript:\n{script}")
    return float(found.group(1))


def environment(database):
    """The process environment with PGDATABASE set to database."""
    return dict(os.environ, PGDATABASE=database)
