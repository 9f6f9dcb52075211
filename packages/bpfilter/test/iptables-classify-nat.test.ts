/**
 * Classification on the nat table: the translation a new connection gets from DNAT, SNAT,
 * MASQUERADE, REDIRECT and NETMAP, with the bytes Debian's iptables-legacy-restore writes
 * (through `bpfilter exec`), classified through the service, the API and the CLI.
 */
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bpfilter, PacketDescription } from '@umd/bpfilter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natTable } from './enforce/save-tables.js';
import { CLI, missingPrerequisite, type ServiceProcess } from './iptables/namespace.js';
import { type RestoredService, restoredService } from './iptables/restored-service.js';

const missing = missingPrerequisite();

const RULES = natTable(
  ':DOCKER - [0:0]',
  '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
  '-A PREROUTING -p tcp -m tcp --dport 81 -j DNAT --to-destination 10.9.0.5',
  '-A PREROUTING -p tcp -m tcp --dport 82 -j DNAT --to-destination 10.9.0.5-10.9.0.8:9000-9010',
  '-A PREROUTING -p tcp -m tcp --dport 83 -j DNAT --to-destination :8083',
  '-A PREROUTING -p tcp -m tcp --dport 84 -j REDIRECT --to-ports 3128',
  '-A PREROUTING -p udp -m udp --dport 85 -j REDIRECT',
  '-A PREROUTING -d 198.18.0.0/24 -j NETMAP --to 10.20.0.0/24',
  '-A DOCKER -i docker0 -j RETURN',
  '-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80',
  '-A OUTPUT -p tcp -m tcp --dport 86 -j REDIRECT --to-ports 8086',
  '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
  '-A POSTROUTING -s 10.30.0.0/16 -p tcp -j SNAT --to-source 192.0.2.100:20000-20010',
  '-A POSTROUTING -s 10.31.0.0/16 -j SNAT --to-source 192.0.2.100-192.0.2.110 --random',
  '-A POSTROUTING -s 10.32.0.0/24 -j NETMAP --to 192.0.2.0/24',
  '-A POSTROUTING -s 10.33.0.0/16 -o eth0 -p tcp -j MASQUERADE --to-ports 40000-40100',
  '-A POSTROUTING -s 10.34.0.0/16 -j SNAT --to-source 192.0.2.101',
);

const BASE: PacketDescription = {
  source: '198.51.100.7',
  destination: '203.0.113.9',
  protocol: 'tcp',
  sourcePort: 40000,
  destinationPort: 5,
  inInterface: 'eth0',
};

describe.skipIf(missing !== undefined)(
  `classification on the nat table${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let service: ServiceProcess;
    let api: Bpfilter;
    let restored: RestoredService | undefined;
    beforeAll(async () => {
      restored = await restoredService(RULES);
      ({ service, api } = restored);
    }, 120_000);
    afterAll(async () => {
      await restored?.stop();
    });

    const nat = async (hook: string, packet: Partial<PacketDescription>) => {
      const result = await api.classify('nat', hook, { ...BASE, ...packet });
      return { verdict: result.verdict, rule: result.rule, nat: result.nat };
    };

    it('DNAT: an address, a port kept or mapped into a range, an address range, only a port', async () => {
      expect(await nat('PREROUTING', { destinationPort: 81 })).toEqual({
        verdict: 'ACCEPT',
        rule: { chain: 'PREROUTING', rule: 2 },
        nat: { target: 'DNAT', rewrites: 'destination', address: '10.9.0.5', port: 81 },
      });
      // The first port of the range (not in it before); the address is hashed from the range.
      expect((await nat('PREROUTING', { destinationPort: 82 })).nat).toEqual({
        target: 'DNAT',
        rewrites: 'destination',
        addressRange: ['10.9.0.5', '10.9.0.8'],
        port: 9000,
      });
      expect((await nat('PREROUTING', { destinationPort: 83 })).nat).toEqual({
        target: 'DNAT',
        rewrites: 'destination',
        address: '203.0.113.9',
        port: 8083,
      });
    });

    it("Docker's published port through a user chain, and its RETURN for the bridge", async () => {
      const local = { destination: '192.0.2.1', localAddresses: ['192.0.2.1'] };
      expect(await nat('PREROUTING', { ...local, destinationPort: 8080 })).toEqual({
        verdict: 'ACCEPT',
        rule: { chain: 'DOCKER', rule: 2 },
        nat: { target: 'DNAT', rewrites: 'destination', address: '172.17.0.2', port: 80 },
      });
      expect(
        await nat('PREROUTING', { ...local, destinationPort: 8080, inInterface: 'docker0' }),
      ).toEqual({ verdict: 'ACCEPT', rule: { chain: 'PREROUTING', policy: true } });
    });

    it('REDIRECT: to the incoming interface address, or 127.0.0.1 from OUTPUT', async () => {
      expect((await nat('PREROUTING', { destinationPort: 84 })).nat).toEqual({
        target: 'REDIRECT',
        rewrites: 'destination',
        interface: 'eth0',
        port: 3128,
      });
      expect(
        (
          await nat('PREROUTING', {
            protocol: 'udp',
            destinationPort: 85,
            interfaceAddresses: { eth0: '192.0.2.1' },
          })
        ).nat,
      ).toEqual({
        target: 'REDIRECT',
        rewrites: 'destination',
        interface: 'eth0',
        address: '192.0.2.1',
        port: 85,
      });
      expect((await nat('OUTPUT', { destinationPort: 86, inInterface: undefined })).nat).toEqual({
        target: 'REDIRECT',
        rewrites: 'destination',
        address: '127.0.0.1',
        port: 8086,
      });
    });

    it('MASQUERADE: the outgoing interface address, ports kept or from --to-ports', async () => {
      expect(
        (
          await nat('POSTROUTING', {
            source: '172.17.0.2',
            outInterface: 'eth0',
            interfaceAddresses: { eth0: '192.0.2.1', docker0: '172.17.0.1' },
          })
        ).nat,
      ).toEqual({
        target: 'MASQUERADE',
        rewrites: 'source',
        interface: 'eth0',
        address: '192.0.2.1',
        port: 40000,
      });
      expect(
        await nat('POSTROUTING', { source: '172.17.0.2', outInterface: 'docker0' }),
      ).toMatchObject({ rule: { chain: 'POSTROUTING', policy: true } });
      expect(
        (await nat('POSTROUTING', { source: '10.33.0.1', outInterface: 'eth0', sourcePort: 50000 }))
          .nat,
      ).toEqual({
        target: 'MASQUERADE',
        rewrites: 'source',
        interface: 'eth0',
        portRange: [40000, 40100],
      });
    });

    it('SNAT: a port range (a port inside it is kept), an address range with --random', async () => {
      expect((await nat('POSTROUTING', { source: '10.30.1.1' })).nat).toEqual({
        target: 'SNAT',
        rewrites: 'source',
        address: '192.0.2.100',
        portRange: [20000, 20010],
      });
      expect((await nat('POSTROUTING', { source: '10.30.1.1', sourcePort: 20005 })).nat).toEqual({
        target: 'SNAT',
        rewrites: 'source',
        address: '192.0.2.100',
        port: 20005,
      });
      expect((await nat('POSTROUTING', { source: '10.31.0.1' })).nat).toEqual({
        target: 'SNAT',
        rewrites: 'source',
        addressRange: ['192.0.2.100', '192.0.2.110'],
        portRange: [1024, 65535],
        flags: ['random'],
      });
      // No ports to map for ICMP.
      expect((await nat('POSTROUTING', { source: '10.34.1.1', protocol: 'icmp' })).nat).toEqual({
        target: 'SNAT',
        rewrites: 'source',
        address: '192.0.2.101',
      });
    });

    it('NETMAP: the host part kept, the destination before routing, the source after', async () => {
      expect((await nat('PREROUTING', { destination: '198.18.0.77' })).nat).toEqual({
        target: 'NETMAP',
        rewrites: 'destination',
        address: '10.20.0.77',
        port: 5,
      });
      expect((await nat('POSTROUTING', { source: '10.32.0.9' })).nat).toEqual({
        target: 'NETMAP',
        rewrites: 'source',
        address: '192.0.2.9',
        port: 40000,
      });
    });

    it('counts the translated packets; a batch gives ACCEPT; the CLI prints the translation', async () => {
      const before = (await api.listTable('nat')).chains.find((c) => c.name === 'DOCKER')!;
      const batch = await api.classifyBatch('nat', 'PREROUTING', [
        { ...BASE, destinationPort: 81 },
        { ...BASE, destinationPort: 99 },
      ]);
      expect(batch.map((r) => [r.verdict, r.rule])).toEqual([
        ['ACCEPT', { chain: 'PREROUTING', rule: 2 }],
        ['ACCEPT', { chain: 'PREROUTING', policy: true }],
      ]);
      const prerouting = (await api.listTable('nat')).chains[0]!;
      expect(prerouting.rules[1]!.counters?.packets).toBeGreaterThan(0n);
      expect(before.rules[1]!.counters?.packets).toBe(1n);
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          [
            CLI,
            ...['classify', '--socket', service.socketPath, '-t', 'nat', '--hook', 'POSTROUTING'],
            ...['--src', '172.17.0.2', '--dst', '203.0.113.9', '-p', 'tcp', '--sport', '40000'],
            ...['--dport', '443', '--out', 'eth0', '--if-addr', 'eth0=192.0.2.1'],
          ],
          (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)),
        ),
      );
      expect(out).toContain('verdict: ACCEPT\ndecided by: nat POSTROUTING rule 1\n');
      expect(out).toContain('nat: MASQUERADE source -> 192.0.2.1:40000\n');
    });

    it('the handler killed: the new one classifies the same translation, counters kept', async () => {
      const packet = { ...BASE, destinationPort: 81 };
      const before = await api.classify('nat', 'PREROUTING', packet);
      const handlers = service.childPids();
      expect(handlers.length).toBeGreaterThan(0);
      for (const pid of handlers) process.kill(pid, 'SIGKILL');
      while (service.childPids().some((pid) => handlers.includes(pid))) await sleep(20);
      // A request that reaches the service before its manager has seen the exit gets a typed
      // error and is never re-sent (the dead handler counted nothing); the next one starts a
      // fresh handler.
      let after: Awaited<ReturnType<typeof api.classify>> | undefined;
      for (let attempt = 0; after === undefined; attempt++) {
        try {
          after = await api.classify('nat', 'PREROUTING', packet);
        } catch (error) {
          if (attempt > 0) throw error;
          expect(error).toMatchObject({
            code: 'UMD_HANDLER_ERROR',
            message: expect.stringContaining('while the request was pending'),
          });
        }
      }
      expect(after.nat).toEqual(before.nat);
      const counted = (r: typeof before) => r.counters.find((c) => c.rule === 2)!.packets;
      expect(counted(after)).toBe(counted(before) + 1);
      expect(service.childPids().some((pid) => !handlers.includes(pid))).toBe(true);
    });
  },
);
