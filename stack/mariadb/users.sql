-- The app's database and its two users, the same on every MariaDB node: natively (createUsers in
-- stack/native/mariadb.ts) and in compose (docker/mariadb/init-node.sh, the `mariadb` and `mariadb-ring`
-- profiles, and the `galera` profile's first node). Each side fills the ${PLACEHOLDERS} with its values, escaped for
-- a string literal; one statement a line.
--
-- Outside the binary log (sql_log_bin=0): every node starts with the same data and an empty GTID history, so a
-- replica or a ring replicates only what comes after, and no node replays another's CREATE USER.
SET SESSION sql_log_bin = 0;
CREATE DATABASE IF NOT EXISTS ${APP_DATABASE};
-- Ordinary DML and DDL on the app's database, and nothing global: without SUPER or READ_ONLY ADMIN, read_only=ON
-- refuses its writes (1290). root has both and is never refused: a root write on a replica is the trap
-- docs/mariadb.md describes.
CREATE USER IF NOT EXISTS '${APP_USER}'@'%' IDENTIFIED BY '${APP_PASSWORD}';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, TRIGGER ON ${APP_DATABASE}.* TO '${APP_USER}'@'%';
CREATE USER IF NOT EXISTS '${REPLICATOR_USER}'@'%' IDENTIFIED BY '${REPLICATOR_PASSWORD}';
GRANT REPLICATION SLAVE ON *.* TO '${REPLICATOR_USER}'@'%';
