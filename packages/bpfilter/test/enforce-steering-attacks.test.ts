/**
 * Entries iptables never writes (made by hand, as an attacker could), through enforcement:
 * each is enforced as the kernel reads it, or refused with the table in force kept.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeInNetns } from './enforce/netns-script.js';
import { enforceSkipReason } from './enforce/prerequisites.js';

const missing = enforceSkipReason();

describe.skipIf(missing !== undefined)('hand-made steering entries', () => {
  it('enforces entries iptables never writes as the kernel reads them, or refuses them', async () => {
    const script = fileURLToPath(new URL('./enforce/steering-attacks.mjs', import.meta.url));
    const stdout = await nodeInNetns(script, [], 60_000);
    const [alias, r1, r2, r3, ...inverts] = JSON.parse(stdout) as {
      what: string;
      error?: { code: string; isEnforcementError: boolean; message: string };
      kept: boolean;
      listing: string;
      /** The xt modules nft's JSON names (its text shows those it can translate in its words). */
      xt: string[];
    }[];
    // xt_CT untracks on XT_CT_NOTRACK only: the alias bit alone is a template of zone 7.
    expect(alias!.error).toBeUndefined();
    expect(alias!.listing).toContain('ct zone set 7');
    expect(alias!.listing).not.toContain('notrack');
    // Ranges xt_multiport would read past the count or upside down: the handler refuses them
    // as Linux 6.x's multiport_mt_check does (EINVAL), before anything reaches nf_tables; the
    // table in force is kept.
    for (const attempt of [r1!, r2!, r3!]) {
      expect(attempt.error, attempt.what).toMatchObject({
        code: 'UMD_HANDLER_ERROR',
        isEnforcementError: false,
      });
      expect(attempt.error!.message, attempt.what).toContain('EINVAL');
      expect(attempt.kept, attempt.what).toBe(true);
    }
    // An invert byte above 1 makes xt_mark and xt_multiport match every packet: the
    // kernel's module runs it (nft_compat), not an inverted native test.
    expect(inverts.map((attempt) => [attempt.what, attempt.error, attempt.xt])).toEqual([
      ['multiport invert byte 2', undefined, ['multiport']],
      ['mark invert byte 2', undefined, ['mark']],
    ]);
  }, 60_000);
});
