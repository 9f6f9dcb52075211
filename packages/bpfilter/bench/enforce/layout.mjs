// What the tables hold after the rounds, and how the enforced INPUT chain is laid out.

// The rules of an nft listing (a chain's or a table's part): its indented lines but the type.
export const rulesOf = (listing) =>
  listing.split('\n').filter((l) => /^\t\t(?!type )\S/.test(l)).length;

/**
 * Throws unless the tables hold what was applied: N rules each, in nft one counter per rule
 * (in a rule or a verdict-map element) and per policy.
 */
export function checkTables({ legacy, enforced }, kernelEnv, n) {
  const legacyCount = legacy
    .run(['sh', '-c', 'iptables-legacy-save | grep -c "^-A"'], { env: kernelEnv })
    .trim();
  const nftCount = enforced
    .run(['sh', '-c', 'nft list table ip bpfilter_filter | grep -o "counter packets" | wc -l'])
    .trim();
  if (Number(legacyCount) !== n || Number(nftCount) !== n + 3)
    throw new Error(`tables not as applied: legacy ${legacyCount} rules, nft ${nftCount} counters`);
}

const segmentsOf = (enforced) =>
  enforced
    .run(['nft', 'list', 'table', 'ip', 'bpfilter_filter'])
    .split('\n\tchain ')
    .filter((chain) => chain.startsWith('bpfilter-keyed-rule-segment-'));

/**
 * What a packet no rule matches walks: INPUT's own rules (verdict-map lookups, segment
 * guards, rules); the rules of segments it does not enter are not walked.
 */
export function inputLayout(enforced) {
  const nftInput = enforced.run(['nft', 'list', 'chain', 'ip', 'bpfilter_filter', 'INPUT']);
  const segments = segmentsOf(enforced);
  return {
    lookups: (nftInput.match(/ vmap @/g) ?? []).length,
    guards: (nftInput.match(/ jump bpfilter-keyed-rule-segment-/g) ?? []).length,
    nftRules: rulesOf(nftInput),
    segments: segments.length,
    segmented: segments.reduce((sum, chain) => sum + rulesOf(chain), 0),
  };
}

/** The rules of the segment that holds the rule about 127.0.0.1 (0 if none does). */
export function lastSegmentRules(enforced) {
  const segment = segmentsOf(enforced).find((chain) => chain.includes('127.0.0.1'));
  return segment ? rulesOf(segment) : 0;
}
