"""Connections for the listener tests: autocommit, to the database named by
the libpq environment (PGHOST, PGPORT, PGDATABASE, ...), as that
environment's user or as the login role given."""
import psycopg2
import psycopg2.extensions


def connect(user=None):
    conn = psycopg2.connect("", **({"user": user} if user else {}))
    conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    return conn


def scalar(conn, sql, args=()):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]
