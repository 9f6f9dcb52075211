/** `-j LOG` options: levels (`--log-level`) and flag switches, as libxt_LOG names them. */
import {
  IPT_LOG_IPOPT,
  IPT_LOG_MACDECODE,
  IPT_LOG_TCPOPT,
  IPT_LOG_TCPSEQ,
  IPT_LOG_UID,
} from '../abi/index.js';

/** The level LOG uses when none is given (syslog `warning`); not printed by iptables-save. */
export const LOG_DEFAULT_LEVEL = 4;

const LEVELS: ReadonlyMap<string, number> = new Map([
  ['emerg', 0],
  ['panic', 0],
  ['alert', 1],
  ['crit', 2],
  ['error', 3],
  ['err', 3],
  ['warning', 4],
  ['warn', 4],
  ['notice', 5],
  ['info', 6],
  ['debug', 7],
]);

/** `--log-level` value: a number 0..7 or a syslog level name. */
export function parseLogLevel(text: string): number {
  const named = LEVELS.get(text.toLowerCase());
  if (named !== undefined) return named;
  if (/^[0-7]$/.test(text)) return Number(text);
  throw new SyntaxError(
    `invalid log level "${text}" (0..7 or emerg, alert, crit, error, warning, notice, info, debug)`,
  );
}

/** LOG's flag switches in the order iptables-save prints them. */
export const LOG_FLAG_OPTIONS: ReadonlyArray<[option: string, flag: number]> = [
  ['--log-tcp-sequence', IPT_LOG_TCPSEQ],
  ['--log-tcp-options', IPT_LOG_TCPOPT],
  ['--log-ip-options', IPT_LOG_IPOPT],
  ['--log-uid', IPT_LOG_UID],
  ['--log-macdecode', IPT_LOG_MACDECODE],
];
