import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_STACK_INDEX, namespacePrefixOf, SERVICES, STACK_INDEX, SUBNET } from '../topology';
import { daemonPid } from './daemons';
import { allNamespaces, listNamespaces, namespacePids } from './netns';
import { MACHINE_DIR, REPO_ROOT, STACK_DIR } from './paths';

/**
 * Which checkout's stack holds a stack index. An index names things the whole machine shares (a subnet, so
 * every service's address and port, a bridge, the namespaces), so only one checkout can run a stack on it at a
 * time. Without a record, `up` in a second checkout found the first one's servers answering at its addresses,
 * called them healthy, then failed on a port Patroni could not bind; and its `down` stopped the first
 * checkout's stack. Issue 15.
 *
 * `up` and `start` claim the index before they start anything; `down` releases it. A claim counts while some
 * process runs in the index's namespaces: a stack that died with its machine, or was taken down, holds nothing.
 */
export interface Claim {
  /** The checkout whose stack holds the index: where `npm run stack -- down` stops it. */
  checkout: string;
  /** Its STACK_DIR, which tells two stacks apart (a checkout may run several, on several indexes). */
  stackDir: string;
}

export type Holder =
  | { by: 'nobody' }
  | { by: 'this checkout' }
  | {
      by: 'another checkout';
      checkout: string;
      /** The checkout was deleted (a CI clone, say) while its stack ran: nobody else can stop it. */
      gone: boolean;
      /** False for a stack started before checkouts claimed their index: `checkout` is a guess. */
      recorded: boolean;
    };

/** What findHolder looks at, as functions: only what the answer needs is looked at. */
export interface IndexProbes {
  claim(): Claim | null;
  /** The working directories of the processes running in the index's namespaces. */
  processDirectories(): string[];
  /** A pid file of this stack names a live process. */
  ownDaemonsRunning(): boolean;
  exists(path: string): boolean;
}

export function findHolder(stackDir: string, probe: IndexProbes): Holder {
  const claim = probe.claim();
  if (claim?.stackDir === stackDir) return { by: 'this checkout' };
  const directories = probe.processDirectories();
  if (directories.length === 0) return { by: 'nobody' };
  if (claim) return { by: 'another checkout', checkout: claim.checkout, gone: !probe.exists(claim.checkout), recorded: true };
  if (probe.ownDaemonsRunning()) return { by: 'this checkout' };
  // A stack started before claims: its servers run in their checkout, PostgreSQL and Redis in directories below
  // it, so the shortest working directory is the checkout. Without one, nobody could stop it but `down` anywhere.
  const checkout = directories.filter((d) => d !== '/').sort((a, b) => a.length - b.length)[0];
  return { by: 'another checkout', checkout: checkout ?? 'an unknown checkout', gone: checkout === undefined || !probe.exists(checkout), recorded: false };
}

const claimFile = (index: number) => join(MACHINE_DIR, `index-${index}.json`);
const stackCommand = (index: number, verb: string) => `STACK_INDEX=${index} npm run stack -- ${verb}`;

/** The lowest index no stack runs on, to suggest instead of a taken one. */
export function freeIndex(namespaces: string[], taken: number): number | undefined {
  for (let index = 0; index <= MAX_STACK_INDEX; index++) {
    if (index !== taken && !namespaces.some((ns) => ns.startsWith(namespacePrefixOf(index)))) return index;
  }
  return undefined;
}

function holderName(holder: Extract<Holder, { by: 'another checkout' }>): string {
  if (!holder.recorded) return `a stack that did not record its checkout (started by an older npm run stack, from ${holder.checkout})`;
  return `the stack of the checkout ${holder.checkout}${holder.gone ? ', which no longer exists' : ''}`;
}

/** Why `up` or `start` here started nothing, and the two ways out. */
export function takenMessage(holder: Extract<Holder, { by: 'another checkout' }>, index: number, suggested: number | undefined): string {
  const elsewhere = suggested === undefined ? 'another index' : stackCommand(suggested, 'up');
  const stopThere = holder.gone ? `${stackCommand(index, 'down')}   (here: it stops what that checkout left running)` : `cd ${holder.checkout} && ${stackCommand(index, 'down')}`;
  return (
    `stack index ${index} is taken by ${holderName(holder)}: its servers run on ${SUBNET}. Nothing was started.\n` +
    `  Run this checkout's stack on another index:  ${elsewhere}\n` +
    `  or stop that stack first:                    ${stopThere}`
  );
}

/** Why `down` or `stop` here stopped nothing. */
export function heldElsewhereMessage(holder: Extract<Holder, { by: 'another checkout' }>, index: number): string {
  return `stack index ${index} is held by ${holderName(holder)}, not by this checkout: nothing was stopped.\n` + `  To stop it:  cd ${holder.checkout} && ${stackCommand(index, 'down')}`;
}

export class IndexTakenError extends Error {}

function workingDirectory(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined; // gone meanwhile
  }
}

const machineProbes: IndexProbes = {
  claim: () => {
    try {
      return JSON.parse(readFileSync(claimFile(STACK_INDEX), 'utf8')) as Claim;
    } catch {
      return null;
    }
  },
  processDirectories: () =>
    listNamespaces()
      .flatMap((ns) => namespacePids(ns))
      .map(workingDirectory)
      .filter((dir): dir is string => dir !== undefined),
  ownDaemonsRunning: () => SERVICES.some((s) => daemonPid(s.name) !== null),
  exists: existsSync,
};

/** Who holds this checkout's stack index now. */
export const indexHolder = (): Holder => findHolder(STACK_DIR, machineProbes);

/** Makes this checkout the index's holder, or throws IndexTakenError naming the one that holds it. */
export function claimIndex(): void {
  const holder = indexHolder();
  if (holder.by === 'another checkout') {
    throw new IndexTakenError(takenMessage(holder, STACK_INDEX, freeIndex(allNamespaces(), STACK_INDEX)));
  }
  if (holder.by === 'this checkout' && machineProbes.claim()?.stackDir === STACK_DIR) return;
  mkdirSync(MACHINE_DIR, { recursive: true });
  writeFileSync(claimFile(STACK_INDEX), JSON.stringify({ checkout: REPO_ROOT, stackDir: STACK_DIR } satisfies Claim) + '\n');
}

/** After `down`: the index is nobody's. */
export function releaseIndex(): void {
  rmSync(claimFile(STACK_INDEX), { force: true });
}
