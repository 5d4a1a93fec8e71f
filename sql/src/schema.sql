-- The extension's schema. Fails if a schema of that name already exists, so
-- poolkeeper never mixes its objects with somebody else's.
CREATE SCHEMA poolkeeper;
COMMENT ON SCHEMA poolkeeper IS 'poolkeeper: investment pools, exact ledger, positions and alerts';
