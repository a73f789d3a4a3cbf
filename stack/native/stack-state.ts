import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Dialect, DIALECTS, SERVICES } from '../topology';
import { daemonPid } from './daemons';
import { paths } from './paths';

/**
 * What `up` decided and the other verbs (status, stop, start, down, exec, promote) must not be told again: the
 * stack's dialect and, on MariaDB, which node is the primary now (no Patroni keeps that there: `promote` moves
 * it). Kept across `down` with the data it describes; `down --volumes` deletes both.
 */
export interface StackState {
  dialect: Dialect;
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

/** The recorded dialect; a stack without a record (started before stacks recorded one) is PostgreSQL. */
export const stackDialect = (): Dialect => readState()?.dialect ?? 'postgres';

export const stackState = (): StackState => readState() ?? { dialect: 'postgres' };

/** Some service of this stack runs (every dialect's service names are SERVICES'). */
export const stackRunning = (): boolean => SERVICES.some((s) => daemonPid(s.name) !== null);

/**
 * The dialect `up` starts: the one asked for, else the recorded one (`up` after `down` starts the same stack
 * again), else PostgreSQL. A stack that runs is never started again in the other dialect: its services would be
 * half of each. A stopped one may be: each dialect's data lives apart (STACK_DIR/data, STACK_DIR/mariadb).
 */
export const dialectForUp = (asked: Dialect | undefined): Dialect => chooseDialect(asked, stackDialect(), stackRunning());

export function chooseDialect(asked: Dialect | undefined, recorded: Dialect, running: boolean): Dialect {
  if (asked !== undefined && asked !== recorded && running) {
    throw new Error(`the stack runs on ${recorded}, not ${asked}: nothing was started. Stop it first (npm run stack -- down), or run up without DB_DIALECT=${asked}`);
  }
  return asked ?? recorded;
}
