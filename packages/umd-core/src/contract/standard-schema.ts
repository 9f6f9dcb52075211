import { UmdError, UmdErrorCode } from '../errors/umd-error.js';

/**
 * The Standard Schema interface (standardschema.dev, v1), declared here so that any validator
 * implementing it (zod, valibot, arktype...) works without a dependency on any of them. Only
 * the part umd uses: `~standard.validate` and the inferred types.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** What a Standard Schema's `validate` returns: the (possibly transformed) value, or issues. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

/** One problem found by a Standard Schema validator. */
export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/**
 * A value refused by a contract's codec or validator: `issues` says why. A {@link UmdError}
 * with code `UMD_CONTRACT_VIOLATION`, so `isUmdError(error, 'UMD_CONTRACT_VIOLATION')` finds it.
 */
export class ContractViolation extends UmdError {
  /** The validator's issues (empty when a codec failed to encode or decode). */
  readonly issues: ReadonlyArray<StandardSchemaIssue>;

  constructor(message: string, issues: ReadonlyArray<StandardSchemaIssue> = [], cause?: unknown) {
    super(UmdErrorCode.CONTRACT_VIOLATION, message, cause === undefined ? {} : { cause });
    this.name = 'ContractViolation';
    this.issues = issues;
  }
}

function describe(issues: ReadonlyArray<StandardSchemaIssue>): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path
        ?.map((p) => String(typeof p === 'object' && p !== null ? p.key : p))
        .join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** Runs a schema: its output, or a {@link ContractViolation}. Synchronous when the validator is. */
export function validateWith<T>(
  schema: StandardSchemaV1<unknown, T>,
  value: unknown,
  what: string,
): T | Promise<T> {
  const settle = (result: StandardSchemaResult<T>): T => {
    if (result.issues)
      throw new ContractViolation(`${what}: ${describe(result.issues)}`, result.issues);
    return result.value;
  };
  const result = schema['~standard'].validate(value);
  return result instanceof Promise ? result.then(settle) : settle(result);
}
