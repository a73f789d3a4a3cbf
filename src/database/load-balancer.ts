import { Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RequestContext } from '../request-context/request-context';
import { DatabaseNode } from './database-node';
import { Replica } from './replica';
import { describeFailure, isReplicaFailure } from './replica-failure';
import { ReplicaList } from './replica-list';

export type Work<T> = (manager: EntityManager) => Promise<T>;

/**
 * Chooses the node for each query: reads go to an eligible replica (the same one for the whole request),
 * fall over to another replica and then to the primary when a replica fails; writes go to the primary.
 */
export class LoadBalancer {
  private readonly logger = new Logger(LoadBalancer.name);

  constructor(
    readonly primary: DatabaseNode,
    readonly replicas: ReplicaList,
  ) {}

  async read<T>(work: Work<T>): Promise<T> {
    const context = RequestContext.current();
    // Read-your-writes within a request: after its own write, the request reads where it wrote.
    if (context?.wrote) return this.onPrimary(work);

    const sticky = context?.stickyReplica ? this.replicas.byName(context.stickyReplica) : undefined;
    if (context?.stickyReplica && !sticky?.eligible) {
      // The request's replica left: another replica could be further behind, the primary never is.
      return this.onPrimary(work);
    }
    const tried = new Set<Replica>();
    let replica = sticky ?? this.replicas.next();
    while (replica) {
      try {
        const result = await work(await replica.node.manager());
        if (context) {
          context.stickyReplica = replica.name;
          context.recordDbNode(replica.name);
        }
        return result;
      } catch (error) {
        if (!isReplicaFailure(error)) throw error;
        const reason = describeFailure(error);
        this.logger.warn(`${replica.name} excluded after a failed read, retrying elsewhere: ${reason}`);
        replica.markDown(reason);
        tried.add(replica);
        replica = sticky ? undefined : this.replicas.next(tried);
      }
    }
    return this.onPrimary(work);
  }

  /** Runs on the primary without a transaction: strong reads and explicit primary-only work. */
  async onPrimary<T>(work: Work<T>): Promise<T> {
    const result = await work(await this.primary.manager());
    RequestContext.current()?.recordDbNode(this.primary.name);
    return result;
  }

  /** Runs in one transaction on the primary. */
  async write<T>(work: Work<T>): Promise<T> {
    const context = RequestContext.current();
    if (context) context.wrote = true;
    const manager = await this.primary.manager();
    const result = await manager.transaction(work);
    context?.recordDbNode(this.primary.name);
    return result;
  }
}
