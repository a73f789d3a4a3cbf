import { Injectable } from '@nestjs/common';
import { Work } from './database-node';
import { LoadBalancer } from './load-balancer';

/**
 * The database as feature modules see it: say whether you read or write, and get an EntityManager on the
 * right node. Feature modules use this and never a TypeORM DataSource (a lint rule enforces it).
 *
 *   const article = await db.read((em) => em.findOneBy(Article, { id }));
 *   await db.write((em) => em.save(Article, draft));
 */
@Injectable()
export class ReplicatedDatabase {
  constructor(private readonly balancer: LoadBalancer) {}

  /** A read on a replica (the request's replica once it has one); falls back to the primary. */
  read<T>(work: Work<T>): Promise<T> {
    return this.balancer.read(work);
  }

  /** A transaction on the primary. Later reads in the same request also go to the primary. */
  write<T>(work: Work<T>): Promise<T> {
    return this.balancer.write(work);
  }

  /** A read that must see the latest committed data: runs on the primary, without a transaction. */
  readFromPrimary<T>(work: Work<T>): Promise<T> {
    return this.balancer.onPrimary(work);
  }
}
