import { leader, patronictl, pauseReplay, resumeReplay, redisFailover, redisMaster, start, stop, switchover } from '../stack/native/stack';

/**
 * One fault: `inject` breaks something; `absorbed` says when the system has coped with it (e.g. a new primary
 * takes writes); `heal` repairs what an operator or orchestrator would (restart the killed process).
 */
export interface Fault {
  name: string;
  /** Targets: the primary's own faults may fail reads briefly and refuse writes; the others may not. */
  touchesPrimary: boolean;
  inject(): Promise<void>;
  absorbed?(): Promise<boolean>;
  heal(): Promise<void>;
  /** Set up before the load starts (e.g. synchronous mode), undone after. */
  before?(): Promise<void>;
  after?(): Promise<void>;
}

const quiet = () => undefined;
const restart = (name: string) => start(name, quiet);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The primary is another node than the one killed, and accepts writes (asked of Patroni). */
const promotedAway = (from: string) => async () => {
  const now = await leader();
  return now !== undefined && now !== from;
};

function primaryLoss(name: string, hard: boolean, synchronous = false): Fault {
  let victim = 'db-primary';
  return {
    name,
    touchesPrimary: true,
    before: synchronous
      ? async () => {
          patronictl(['edit-config', '--force', '-s', 'synchronous_mode=true']);
          while (!/Sync Standby/.test(patronictl(['list']))) await sleep(200);
        }
      : undefined,
    async inject() {
      victim = (await leader()) ?? 'db-primary';
      await stop(victim, { hard });
    },
    absorbed: async () => promotedAway(victim)(),
    async heal() {
      await restart(victim);
    },
    after: async () => {
      if (synchronous) patronictl(['edit-config', '--force', '-s', 'synchronous_mode=false']);
      await switchover('db-primary');
    },
  };
}

export const FAULTS: Fault[] = [
  { name: 'replica killed', touchesPrimary: false, inject: () => stop('db-replica-1', { hard: true }).then(() => undefined), heal: () => restart('db-replica-1') },
  {
    name: 'replication paused on a replica',
    touchesPrimary: false,
    inject: () => pauseReplay('db-replica-1'),
    absorbed: async () => (await sleep(5000), true),
    heal: () => resumeReplay('db-replica-1'),
  },
  {
    // The Sentinels promote redis-replica and the apps follow it; the killed master comes back as its replica.
    name: 'redis killed',
    touchesPrimary: false,
    inject: () => stop('redis', { hard: true }).then(() => undefined),
    absorbed: async () => (await redisMaster()) === 'redis-replica',
    heal: () => restart('redis'),
    after: () => redisFailover('redis'),
  },
  { name: 'app-1 killed', touchesPrimary: false, inject: () => stop('app-1', { hard: true }).then(() => undefined), heal: () => restart('app-1') },
  primaryLoss('primary killed (async)', true),
  primaryLoss('primary killed (sync)', true, true),
  primaryLoss('primary stopped cleanly', false),
  {
    name: 'planned switchover',
    touchesPrimary: true,
    inject: () => switchover('db-replica-1'),
    heal: () => switchover('db-primary'),
  },
  {
    name: 'etcd killed',
    touchesPrimary: false,
    inject: () => stop('etcd', { hard: true }).then(() => undefined),
    absorbed: async () => (await sleep(8000), true), // Patroni's failsafe mode keeps the primary meanwhile
    heal: () => restart('etcd'),
  },
];
