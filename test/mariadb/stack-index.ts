/**
 * The MariaDB harnesses start their own servers on a stack index of their own, never on the native stack's
 * (0, or the STACK_INDEX the e2e project runs on): 9 unless MARIADB_STACK_INDEX says otherwise. Jest runs
 * this before each spec file loads stack/topology.ts, which reads STACK_INDEX once.
 */
process.env.STACK_INDEX = process.env.MARIADB_STACK_INDEX ?? '9';
