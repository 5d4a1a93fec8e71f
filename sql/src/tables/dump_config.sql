-- pg_dump keeps the rows of extension tables only when they are registered
-- here. The seeded reference rows of currencies and error_codes are not dumped.
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.managers', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.investors', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.pools', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.memberships', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.positions', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.transactions', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alert_rules', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alerts', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.managers_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.investors_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.pools_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.memberships_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.transactions_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alerts_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.investor_totals', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.operations', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.operations_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.obligations', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.obligation_payments', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.valuations', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alert_rule_changes', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alert_rule_changes_id_seq', '');
