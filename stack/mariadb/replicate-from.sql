-- Makes this node replicate from SOURCE_HOST by GTID, natively (replicateFrom in stack/native/mariadb.ts) and in
-- compose (docker/mariadb/init-node.sh). MASTER_USE_GTID=slave_pos: from this node's own gtid_slave_pos, where
-- it stopped applying, whatever file and offset the source's binlog has then. Each side fills the ${PLACEHOLDERS}
-- with its values, escaped for a string literal; one statement a line.
STOP SLAVE;
CHANGE MASTER TO MASTER_HOST='${SOURCE_HOST}', MASTER_PORT=${SOURCE_PORT}, MASTER_USER='${REPLICATOR_USER}', MASTER_PASSWORD='${REPLICATOR_PASSWORD}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
START SLAVE;
