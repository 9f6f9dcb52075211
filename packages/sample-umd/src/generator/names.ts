import { UmdError, UmdErrorCode } from '@umd/core';

/** Every spelling of a new driver's name that the template needs. */
export interface DriverNames {
  /** npm package name: `my-driver`, `@acme/my-driver`. */
  packageName: string;
  /** Unscoped kebab-case name: directory, bin, handler and blob name. */
  name: string;
  /** PascalCase, for classes and functions: `MyDriver`. */
  pascal: string;
  /** UPPER_SNAKE_CASE, for constants: `MY_DRIVER`. */
  constant: string;
}

function invalidName(message: string): UmdError {
  return new UmdError(UmdErrorCode.INVALID_ARGUMENT, message);
}

const KEBAB = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const SCOPE = /^@[a-z0-9][a-z0-9._-]*$/;

/**
 * Derives the names of a new driver from what the user typed: `my-driver` or
 * `@scope/my-driver`. An unscoped name gets `defaultScope` if one is given (in the umd
 * monorepo: `@umd`).
 *
 * @throws UmdError `UMD_INVALID_ARGUMENT` for a name npm or the template cannot use.
 */
export function driverNames(input: string, defaultScope?: string): DriverNames {
  const slash = input.indexOf('/');
  const scope = slash === -1 ? defaultScope : input.slice(0, slash);
  const name = slash === -1 ? input : input.slice(slash + 1);
  if (!KEBAB.test(name) || name.length > 50) {
    throw invalidName(
      `${JSON.stringify(input)} is not a usable driver name: use lower-case letters, digits and single dashes, starting with a letter (at most 50 characters), e.g. my-driver or @acme/my-driver`,
    );
  }
  if (scope !== undefined && !SCOPE.test(scope))
    throw invalidName(`${JSON.stringify(scope)} is not an npm scope (expected @something)`);
  const words = name.split('-');
  return {
    packageName: scope === undefined ? name : `${scope}/${name}`,
    name,
    pascal: words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(''),
    constant: words.join('_').toUpperCase(),
  };
}
