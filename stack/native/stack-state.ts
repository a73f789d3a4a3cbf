import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Dialect, DIALECTS, EVERY_SERVICE, TOPOLOGIES, Topology } from '../topology';
import { daemonPid } from './daemons';
import { paths } from './paths';

/**
 * What `up` decided and the other verbs (status, stop, start, down, exec, promote) must not be told again: the
 * stack's dialect and topology and, on MariaDB's primary and replicas, which node is the primary now (no Patroni
 * keeps that there: `promote` moves it). Kept across `down` with the data it describes; `down --volumes` deletes both.
 */
export interface StackState {
  dialect: Dialect;
  /** Added with the stack on Galera; a record without one (an older stack) is `primary-replicas`. */
  topology?: Topology;
  /** MariaDB: the node that takes writes, the others replicating from it. */
  mariadbPrimary?: string;
}

function readState(): StackState | undefined {
  try {
    return JSON.parse(readFileSync(paths.stackState, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

export function recordState(state: StackState): void {
  mkdirSync(dirname(paths.stackState), { recursive: true });
  writeFileSync(paths.stackState, JSON.stringify(state, null, 2) + '\n');
}

/** The dialect DB_DIALECT asks for, undefined when unset. */
export function requestedDialect(env: NodeJS.ProcessEnv = process.env): Dialect | undefined {
  const value = env.DB_DIALECT || undefined;
  if (value !== undefined && !DIALECTS.includes(value as Dialect)) throw new Error(`DB_DIALECT=${value}: expected one of ${DIALECTS.join(', ')}`);
  return value as Dialect | undefined;
}

/** The topology DB_TOPOLOGY asks for, undefined when unset. */
export function requestedTopology(env: NodeJS.ProcessEnv = process.env): Topology | undefined {
  const value = env.DB_TOPOLOGY || undefined;
  if (value !== undefined && !TOPOLOGIES.includes(value as Topology)) throw new Error(`DB_TOPOLOGY=${value}: expected one of ${TOPOLOGIES.join(', ')}`);
  return value as Topology | undefined;
}

/** The recorded dialect; a stack without a record (started before stacks recorded one) is PostgreSQL. */
export const stackDialect = (): Dialect => readState()?.dialect ?? 'postgres';

/** The recorded topology; a stack that recorded none (started before the stack on Galera) is primary-replicas. */
export const stackTopology = (): Topology => readState()?.topology ?? 'primary-replicas';

export const stackState = (): StackState => readState() ?? { dialect: 'postgres' };

/** Some service of this stack runs (any dialect's, any topology's: EVERY_SERVICE). */
export const stackRunning = (): boolean => EVERY_SERVICE.some((s) => daemonPid(s.name) !== null);

/** The database a stack runs: its dialect, and how its nodes replicate. */
export interface StackDatabase {
  dialect: Dialect;
  topology: Topology;
}

const describe = ({ dialect, topology }: StackDatabase) => (topology === 'galera' ? `${dialect} (Galera)` : dialect);

/**
 * The database `up` starts: the one asked for, else the recorded one (`up` after `down` starts the same stack
 * again), else PostgreSQL. DB_DIALECT without DB_TOPOLOGY asks for the default topology, as the app reads them.
 * A stack that runs is never started again as another: its services would be half of each. A stopped one may
 * be: each one's data lives apart (STACK_DIR/data, STACK_DIR/mariadb/<node>).
 */
export const databaseForUp = (asked: Partial<StackDatabase>): StackDatabase =>
  chooseDatabase(asked, { dialect: stackDialect(), topology: stackTopology() }, stackRunning());

export function chooseDatabase(asked: Partial<StackDatabase>, recorded: StackDatabase, running: boolean): StackDatabase {
  const chosen: StackDatabase =
    asked.dialect === undefined && asked.topology === undefined
      ? recorded
      : { dialect: asked.dialect ?? recorded.dialect, topology: asked.topology ?? 'primary-replicas' };
  if (chosen.topology === 'galera' && chosen.dialect !== 'mariadb') throw new Error('DB_TOPOLOGY=galera needs DB_DIALECT=mariadb: nothing was started');
  if ((chosen.dialect !== recorded.dialect || chosen.topology !== recorded.topology) && running) {
    const unset = [asked.dialect && `DB_DIALECT=${asked.dialect}`, asked.topology && `DB_TOPOLOGY=${asked.topology}`].filter(Boolean).join(' ');
    throw new Error(`the stack runs on ${describe(recorded)}, not ${describe(chosen)}: nothing was started. Stop it first (npm run stack -- down), or run up without ${unset}`);
  }
  return chosen;
}
