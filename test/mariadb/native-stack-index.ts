/**
 * The spec that runs the whole native stack on MariaDB does so on a stack index of its own, never on the
 * harnesses' (MARIADB_STACK_INDEX, 9 by default: test/mariadb/stack-index.ts), whose namespaces its `down` would
 * remove: 13 unless MARIADB_NATIVE_STACK_INDEX says otherwise. Imported first, before anything loads
 * stack/topology.ts, which reads STACK_INDEX once.
 */
process.env.STACK_INDEX = process.env.MARIADB_NATIVE_STACK_INDEX ?? '13';
