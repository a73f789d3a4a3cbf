/**
 * The spec that runs the whole native stack on Galera does so on a stack index of its own, apart from the
 * harnesses' (9, test/mariadb/stack-index.ts) and the MariaDB stack spec's (13, native-stack-index.ts), whose
 * namespaces its `down` would remove: 15 unless GALERA_NATIVE_STACK_INDEX says otherwise. Imported first, before
 * anything loads stack/topology.ts, which reads STACK_INDEX once.
 */
process.env.STACK_INDEX = process.env.GALERA_NATIVE_STACK_INDEX ?? '15';
