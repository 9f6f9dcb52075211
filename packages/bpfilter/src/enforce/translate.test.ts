import { describe, expect, it } from 'vitest';
import { parseSave } from '../text/parse-save.js';
import { EnforcementError } from './errors.js';
import { planTable, replaceTransaction } from './translate-table.js';

function plan(text: string) {
  const [table] = parseSave(text);
  return planTable({ name: table!.name, chains: table!.chains });
}

const exprs = (text: string, chain = 'INPUT') =>
  plan(text)
    .commands.filter((c) => (c.add as { rule?: { chain: string } }).rule?.chain === chain)
    .map((c) => (c.add as { rule: { expr: unknown[] } }).rule.expr);

describe('translation of a table to nftables JSON', () => {
  it('makes base chains at the iptables hooks and priorities, user chains plain', () => {
    const p = plan(
      '*mangle\n:PREROUTING ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n:mine - [0:0]\nCOMMIT\n',
    );
    const chains = p.commands.flatMap((c) => {
      const chain = (c.add as { chain?: Record<string, unknown> }).chain;
      return chain ? [chain] : [];
    });
    expect(chains).toEqual([
      {
        family: 'ip',
        table: 'bpfilter_mangle',
        name: 'PREROUTING',
        type: 'filter',
        hook: 'prerouting',
        prio: -150,
        policy: 'accept',
      },
      {
        family: 'ip',
        table: 'bpfilter_mangle',
        name: 'OUTPUT',
        type: 'route',
        hook: 'output',
        prio: -150,
        policy: 'drop',
      },
      { family: 'ip', table: 'bpfilter_mangle', name: 'mine' },
    ]);
  });

  it('gives every entry that counts an nft rule: rules, policies, user-chain ends', () => {
    const p = plan(
      '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n-A INPUT -j web\n-A web -j ACCEPT\nCOMMIT\n',
    );
    // Entries: INPUT rule 0, INPUT policy 1, FORWARD policy 2, OUTPUT policy 3,
    // web head 4 (ERROR), web rule 5, web RETURN 6, final ERROR 7.
    expect(p.counted.map((c) => [c.entry, c.chain, c.position])).toEqual([
      [0, 'INPUT', 0],
      [1, 'INPUT', 1],
      [2, 'FORWARD', 0],
      [3, 'OUTPUT', 0],
      [5, 'web', 0],
      [6, 'web', 1],
    ]);
    expect(p.numEntries).toBe(8);
    expect(exprs('*filter\n:INPUT DROP [0:0]\nCOMMIT\n')).toEqual([
      [{ counter: null }, { drop: null }],
    ]);
  });

  it("puts a built-in chain's rules in a chain of their own when one is a goto or RETURN", () => {
    // nf_tables applies the policy at once where a goto'd chain ends or RETURNs at the base
    // level: from a jumped-to chain, the packet comes back to the rule counting the policy.
    const text = (rule: string) =>
      `*filter\n:INPUT DROP [0:0]\n:web - [0:0]\n${rule}\n-A web -j ACCEPT\nCOMMIT\n`;
    const rules = 'bpfilter-rules-of-built-in-chain-INPUT';
    for (const rule of ['-A INPUT -p tcp -g web', '-A INPUT -p tcp -j RETURN']) {
      const p = plan(text(rule));
      expect(exprs(text(rule))).toEqual([
        [{ jump: { target: rules } }],
        [{ counter: null }, { drop: null }],
      ]);
      // The rule is counted in the rules' chain, the policy after the jump.
      expect(p.counted.slice(0, 2).map((c) => [c.entry, c.chain, c.position])).toEqual([
        [0, rules, 0],
        [1, 'INPUT', 1],
      ]);
      expect(exprs(text(rule), rules)).toHaveLength(2);
    }
    // A jump returns to the rule after it: no chain of its own.
    expect(exprs(text('-A INPUT -p tcp -j web'))).toHaveLength(2);
  });

  it('translates addresses, interfaces, protocols, ports, flags and icmp', () => {
    const [rule] = exprs(
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.0/255.0.255.0 ! -d 192.0.2.1 -i eth+ ! -o lo -p tcp ! --sport 1000:2000 --dport 22 --tcp-flags SYN,ACK SYN -j REJECT --reject-with tcp-reset\nCOMMIT\n',
    );
    expect(rule).toEqual([
      {
        match: {
          op: '==',
          left: { '&': [{ payload: { protocol: 'ip', field: 'saddr' } }, '255.0.255.0'] },
          right: '10.0.0.0',
        },
      },
      {
        match: {
          op: '!=',
          left: { payload: { protocol: 'ip', field: 'daddr' } },
          right: '192.0.2.1',
        },
      },
      { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth*' } },
      { match: { op: '!=', left: { meta: { key: 'oifname' } }, right: 'lo' } },
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'protocol' } }, right: 6 } },
      {
        match: {
          op: '!=',
          left: { payload: { protocol: 'tcp', field: 'sport' } },
          right: { range: [1000, 2000] },
        },
      },
      { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } },
      {
        match: {
          op: '==',
          left: { '&': [{ payload: { protocol: 'tcp', field: 'flags' } }, 0x12] },
          right: 0x02,
        },
      },
      { counter: null },
      { reject: { type: 'tcp reset' } },
    ]);
    const [icmp] = exprs(
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p icmp ! --icmp-type 3/1 -j DROP\nCOMMIT\n',
    );
    expect(icmp?.[1]).toEqual({
      match: {
        op: '!=',
        left: {
          concat: [
            { payload: { protocol: 'icmp', field: 'type' } },
            { payload: { protocol: 'icmp', field: 'code' } },
          ],
        },
        right: { set: [{ concat: [3, 1] }] },
      },
    });
  });

  it('a match on later fragments or on the protocol alone keeps xt semantics', () => {
    const [udp, frag] = exprs(
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -m udp -j ACCEPT\n-A INPUT -f -j DROP\nCOMMIT\n',
    );
    const firstFragment = {
      match: {
        op: '==',
        left: { '&': [{ payload: { protocol: 'ip', field: 'frag-off' } }, 0x1fff] },
        right: 0,
      },
    };
    expect(udp?.[1]).toEqual(firstFragment);
    expect(frag?.[0]).toEqual({ match: { ...firstFragment.match, op: '!=' } });
  });

  it('refuses what it cannot express, naming the chain, rule and extension', () => {
    try {
      plan(
        '*filter\n:INPUT ACCEPT [0:0]\n:x - [0:0]\n-A x -j ACCEPT\n-A x -p tcp --tcp-option 2 -j DROP\nCOMMIT\n',
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EnforcementError);
      expect(error).toMatchObject({
        failure: 'untranslatable',
        extension: 'tcp --tcp-option',
        table: 'filter',
        handlerCode: -95,
      });
      expect((error as Error).message).toContain('rule 2 of chain x in table "filter"');
    }
  });

  it('replaces a table in one transaction that cannot fail on a first install', () => {
    const p = plan('*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
    const { nftables } = replaceTransaction([p], ['bpfilter_old']);
    expect(nftables.slice(0, 5)).toEqual([
      { add: { table: { family: 'ip', name: 'bpfilter_old' } } },
      { delete: { table: { family: 'ip', name: 'bpfilter_old' } } },
      { add: { table: { family: 'ip', name: 'bpfilter_raw' } } },
      { delete: { table: { family: 'ip', name: 'bpfilter_raw' } } },
      { add: { table: { family: 'ip', name: 'bpfilter_raw' } } },
    ]);
    expect(nftables).toHaveLength(5 + 2 + 2);
  });
});
