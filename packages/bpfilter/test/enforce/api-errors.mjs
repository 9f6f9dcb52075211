// What the API scripts run in a namespace report: nft's listing, and a refusal's fields.
import { execFileSync } from 'node:child_process';
import { EnforcementError } from '@umd/bpfilter';

/** `nft list ruleset` of this namespace. */
export const nft = () => execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });

/** What `promise` was refused with (undefined if it was not), as JSON can carry it. */
export async function errorOf(promise) {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return {
      name: error.name,
      code: error.code,
      handlerCode: error.handlerCode,
      failure: error.failure,
      extension: error.extension,
      isEnforcementError: error instanceof EnforcementError,
      message: error.message,
    };
  }
}
