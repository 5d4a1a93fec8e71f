-- Managers run pools; investors put money into them. Either may be mapped to
-- the database login role that acts for them (login_role, unique per table).
CREATE TABLE poolkeeper.managers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    login_role name UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE poolkeeper.investors (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    login_role name UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
