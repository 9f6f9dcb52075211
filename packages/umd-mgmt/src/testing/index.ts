/**
 * `@umd/mgmt/testing`: what a driver's own tests and selftest share. {@link runManagerSelftest}
 * drives a driver's manager through requests, unloads, invalid input and kills, and checks
 * the process table at the end. {@link inheritableFds} tells whether a start from this host runs
 * the descriptor-closing step and {@link findLauncher} whether starts go through the launcher or
 * the program chain (costs a benchmark of cold starts should name).
 * @packageDocumentation
 */
export {
  type ManagerSelftestOptions,
  type ManagerSelftestReport,
  runManagerSelftest,
  type SelftestBadRequest,
  type SelftestMalformedRequest,
} from './selftest.js';
export { inheritableFds } from '../process/inheritable-fds.js';
export { findLauncher, type Launcher } from '../process/launcher.js';
