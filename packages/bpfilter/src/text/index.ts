/** The `iptables-save` text format for bpfilter's tables: print ({@link formatSave}) and parse ({@link parseSave}). */
export { formatRule, formatSave, formatTableSave, type FormatSaveOptions } from './print-save.js';
export { parseSave, type ParsedTable } from './parse-save.js';
export { parseRuleArgs } from './parse-rule.js';
