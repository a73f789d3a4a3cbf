import { Replica } from './replica';

/** The replicas, and a round-robin rotation over those eligible for reads. */
export class ReplicaList {
  private cursor = 0;

  constructor(private replicas: Replica[] = []) {}

  all(): readonly Replica[] {
    return this.replicas;
  }

  byName(name: string): Replica | undefined {
    return this.replicas.find((r) => r.name === name);
  }

  /** The next eligible replica after the last one handed out, skipping `exclude` and those `accept` refuses. */
  next(exclude: ReadonlySet<Replica> = new Set(), accept: (replica: Replica) => boolean = () => true): Replica | undefined {
    const count = this.replicas.length;
    for (let i = 0; i < count; i++) {
      const candidate = this.replicas[(this.cursor + i) % count];
      if (candidate.eligible && !exclude.has(candidate) && accept(candidate)) {
        this.cursor = (this.cursor + i + 1) % count;
        return candidate;
      }
    }
    return undefined;
  }

  add(replica: Replica): void {
    this.replicas = [...this.replicas, replica];
  }

  remove(replica: Replica): void {
    this.replicas = this.replicas.filter((r) => r !== replica);
  }
}
