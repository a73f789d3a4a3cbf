import { GALERA_GTID_DOMAIN, GALERA_PACKAGES, GALERA_SERVER_ID, galeraNodes } from './galera';
import { gtidPrimary, gtidReplicas, mariadbdCommand, ringNodes } from './mariadb';
import { TEST_PACKAGES } from './stack';

/** The value of the last `--name=` option of a command line: mariadbd takes the last one it is given. */
const lastOption = (argv: string[], name: string) => argv.filter((arg) => arg.startsWith(`--${name}=`)).pop()?.split('=').slice(1).join('=');

describe('galeraNodes', () => {
  it('should be three nodes at addresses none of the other harnesses use', () => {
    const others = [gtidPrimary, ...gtidReplicas, ...ringNodes].map((node) => node.address);

    expect(galeraNodes.map((node) => node.name)).toEqual(['galera-1', 'galera-2', 'galera-3']);
    expect(galeraNodes.filter((node) => others.includes(node.address))).toEqual([]);
    expect(new Set(galeraNodes.map((node) => node.address)).size).toBe(3);
  });

  it('should give every node the same server_id and wsrep GTID domain, so a write set has the same GTID on every node', () => {
    const commands = galeraNodes.map((node) => mariadbdCommand(node));

    expect(commands.map((argv) => lastOption(argv, 'server-id'))).toEqual(Array(3).fill(String(GALERA_SERVER_ID)));
    expect(commands.map((argv) => lastOption(argv, 'wsrep-gtid-domain-id'))).toEqual(Array(3).fill(String(GALERA_GTID_DOMAIN)));
    expect(commands.map((argv) => lastOption(argv, 'wsrep-gtid-mode'))).toEqual(['ON', 'ON', 'ON']);
    // Binary logs on: wsrep GTIDs live there.
    expect(commands.every((argv) => lastOption(argv, 'log-bin') !== undefined && lastOption(argv, 'log-slave-updates') === 'ON')).toBe(true);
  });

  it('should list every node in every node\'s cluster address, and resolve the peers without DNS', () => {
    const addresses = galeraNodes.map((node) => node.address);

    for (const node of galeraNodes) {
      expect(lastOption(mariadbdCommand(node), 'wsrep-cluster-address')).toBe(`gcomm://${addresses.join(',')}`);
      expect(lastOption(mariadbdCommand(node), 'wsrep-node-address')).toBe(node.address);
      expect(node.peers?.map((peer) => peer.address)).toEqual(addresses);
    }
  });

  it("should write InnoDB's log at each commit, over the harnesses' fast setting, so a killed node recovers its binary log's position", () => {
    expect(galeraNodes.map((node) => lastOption(mariadbdCommand(node), 'innodb-flush-log-at-trx-commit'))).toEqual(['2', '2', '2']);
  });

  it('should have setup install the packages the cluster needs for the tests', () => {
    expect(TEST_PACKAGES).toEqual(expect.objectContaining(GALERA_PACKAGES));
  });
});
