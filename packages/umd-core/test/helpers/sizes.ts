/** Units of the payload sizes in the tests' tables. */
export const KiB = 1024;
export const MiB = 1024 * KiB;
