import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { BRIDGE, BRIDGE_ADDRESS, hostVethOf as hostVeth, NAMESPACE_PREFIX, namespaceOf, service, ServiceSpec, SUBNET } from '../topology';
import { run, succeeds } from './shell';

/**
 * One network namespace per service on one bridge, like a compose network: every service listens on its
 * usual port at its own address, and resolves the others through the stack's DNS server, never through
 * this machine's resolver (`ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf).
 */
const dnsAddress = () => service('dns').address;
const prefixLength = SUBNET.split('/')[1];

export function namespaceExists(name: string): boolean {
  return listNamespaces().includes(namespaceOf(name));
}

/** Every network namespace on this machine, every stack's and others'. */
export function allNamespaces(): string[] {
  return run(['ip', 'netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter(Boolean);
}

/** This stack's namespaces. */
export function listNamespaces(): string[] {
  return allNamespaces().filter((ns) => ns.startsWith(NAMESPACE_PREFIX));
}

export function ensureBridge(): void {
  if (succeeds(['ip', 'link', 'show', BRIDGE])) return;
  run(['ip', 'link', 'add', BRIDGE, 'type', 'bridge']);
  run(['ip', 'addr', 'add', `${BRIDGE_ADDRESS}/${prefixLength}`, 'dev', BRIDGE]);
  run(['ip', 'link', 'set', BRIDGE, 'up']);
}

/**
 * `peers`: other services this namespace resolves by its hosts file, both ways, without the stack's DNS server
 * (which the MariaDB harnesses do not start): a server that looks up its clients' names, as rsync's daemon does,
 * would otherwise wait for the resolver's timeout on every connection.
 */
export function ensureNamespace(spec: ServiceSpec, peers: readonly Pick<ServiceSpec, 'name' | 'address'>[] = []): void {
  const ns = namespaceOf(spec.name);
  const etc = `/etc/netns/${ns}`;
  mkdirSync(etc, { recursive: true });
  writeFileSync(`${etc}/resolv.conf`, `nameserver ${dnsAddress()}\noptions timeout:1 attempts:2\n`);
  const hosts = [spec, ...peers.filter((peer) => peer.name !== spec.name)].map((host) => `${host.address} ${host.name}\n`).join('');
  writeFileSync(`${etc}/hosts`, `127.0.0.1 localhost\n::1 localhost ip6-localhost\n${hosts}`);
  if (namespaceExists(spec.name)) return;
  run(['ip', 'netns', 'add', ns]);
  run(['ip', 'link', 'add', hostVeth(spec), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  run(['ip', 'link', 'set', hostVeth(spec), 'master', BRIDGE, 'up']);
  const inNs = (...argv: string[]) => run(['ip', 'netns', 'exec', ns, ...argv]);
  inNs('ip', 'addr', 'add', `${spec.address}/${prefixLength}`, 'dev', 'eth0');
  inNs('ip', 'link', 'set', 'eth0', 'up');
  inNs('ip', 'link', 'set', 'lo', 'up');
}

/** Pids of every process inside a namespace (used by `down` to stop what a crash left behind). */
export function namespacePids(ns: string): number[] {
  const out = run(['ip', 'netns', 'pids', ns]);
  return out.split('\n').filter(Boolean).map(Number);
}

export function removeNamespace(ns: string): void {
  if (succeeds(['ip', 'netns', 'del', ns])) {
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  }
}

export function removeBridge(): void {
  if (succeeds(['ip', 'link', 'show', BRIDGE])) run(['ip', 'link', 'del', BRIDGE]);
}
