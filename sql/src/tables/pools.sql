-- A pool (syndicate) run by one manager in one currency. Pools are closed,
-- never deleted: a closed pool takes no new members and no ledger rows.
CREATE TABLE poolkeeper.pools (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    manager_id bigint NOT NULL REFERENCES poolkeeper.managers (id),
    name       text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    currency   text NOT NULL REFERENCES poolkeeper.currencies (code),
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    closed_at  timestamptz,
    closed_by  name,  -- the role that closed it (caller()); NULL if closed before 0.5.0
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);

CREATE INDEX pools_manager_id ON poolkeeper.pools (manager_id);
