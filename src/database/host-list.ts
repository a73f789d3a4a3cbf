import { Host, HostPurpose } from './host';

/**
 * Every node the app knows, as read candidates, and a round-robin rotation over those eligible for reads: the
 * rotation's (`oltp`), or the analytics replicas' for reports.
 */
export class HostList {
  private cursor = 0;

  constructor(private hosts: Host[] = []) {}

  all(): readonly Host[] {
    return this.hosts;
  }

  /** The hosts that may serve OLTP reads (every one but the analytics replicas). */
  oltp(): Host[] {
    return this.hosts.filter((h) => h.purpose === 'oltp');
  }

  byName(name: string): Host | undefined {
    return this.hosts.find((h) => h.name === name);
  }

  /**
   * The next eligible host for `purpose` after the last one handed out, skipping `exclude` and those `accept`
   * refuses. (One cursor for both purposes: a rotation is fair enough either way.)
   */
  next(exclude: ReadonlySet<Host> = new Set(), accept: (host: Host) => boolean = () => true, purpose: HostPurpose = 'oltp'): Host | undefined {
    const count = this.hosts.length;
    for (let i = 0; i < count; i++) {
      const candidate = this.hosts[(this.cursor + i) % count];
      if (candidate.eligible && candidate.purpose === purpose && !exclude.has(candidate) && accept(candidate)) {
        this.cursor = (this.cursor + i + 1) % count;
        return candidate;
      }
    }
    return undefined;
  }

  add(host: Host): void {
    this.hosts = [...this.hosts, host];
  }

  remove(host: Host): void {
    this.hosts = this.hosts.filter((h) => h !== host);
  }
}
