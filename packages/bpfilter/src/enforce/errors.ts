/**
 * Why enforcement refused a table. Every refusal is a {@link UmdError} with code
 * `UMD_HANDLER_ERROR` and a negative errno in `handlerCode` (what a SET_REPLACE caller such as
 * iptables sees), so the service passes it on like any other refusal of bpfilter's.
 */
import { constants } from 'node:os';
import { UmdError, UmdErrorCode } from '@umd/core';

/** What went wrong: a rule nft cannot express, nft refusing the ruleset, or no usable nft. */
export type EnforcementFailure = 'untranslatable' | 'kernel-refused' | 'unavailable';

/** Fields of an {@link EnforcementError} beside its message. */
export interface EnforcementErrorDetails {
  /** The table being enforced. */
  table?: string;
  /** For `untranslatable`: the extension (match or target) that cannot be enforced. */
  extension?: string;
  /** nft's own message (stderr), for `kernel-refused` and `unavailable`. */
  nftMessage?: string;
  cause?: unknown;
}

const ERRNO: Record<EnforcementFailure, number> = {
  // The extension exists but enforcement does not support it.
  untranslatable: -constants.errno.EOPNOTSUPP,
  // nft (the kernel's nf_tables) refused a ruleset the handler accepted.
  'kernel-refused': -constants.errno.EINVAL,
  unavailable: -(constants.errno as Record<string, number>).EHOSTDOWN!,
};

/**
 * A table bpfilter accepted but could not install into the kernel. The previously enforced
 * tables stay in force and bpfilter keeps the previous table too (never half-enforced).
 */
export class EnforcementError extends UmdError {
  /** Which kind of failure. */
  readonly failure: EnforcementFailure;
  /** The table concerned, when known. */
  readonly table: string | undefined;
  /** The extension that cannot be enforced (`untranslatable` only). */
  readonly extension: string | undefined;
  /** nft's own message, when nft ran. */
  readonly nftMessage: string | undefined;

  constructor(failure: EnforcementFailure, message: string, details: EnforcementErrorDetails = {}) {
    super(UmdErrorCode.HANDLER_ERROR, message, {
      handlerCode: ERRNO[failure],
      handlerName: 'bpfilter',
      cause: details.cause,
    });
    this.name = 'EnforcementError';
    this.failure = failure;
    this.table = details.table;
    this.extension = details.extension;
    this.nftMessage = details.nftMessage;
  }
}

/**
 * Thrown by the translators for one rule; the table translator adds where the rule is and turns
 * it into an {@link EnforcementError} (`untranslatable`), which is what a caller of the front
 * end or the service sees.
 */
export class UntranslatableError extends Error {
  /** Tells this error apart, as every error class of the packages has a `code`. */
  readonly code = 'BPFILTER_UNTRANSLATABLE';
  /** The extension, as iptables names it (`-m recent`, `-j CHECKSUM`, `tcp --tcp-option`). */
  readonly extension: string;

  constructor(extension: string, why: string) {
    super(`${extension}: ${why}`);
    this.name = 'UntranslatableError';
    this.extension = extension;
  }
}

/** Refuses an extension whose revision is not the one its reader knows. */
export function checkRevision(extension: string, got: number, wanted: number): void {
  if (got !== wanted) throw new UntranslatableError(extension, `revision ${got}`);
}
