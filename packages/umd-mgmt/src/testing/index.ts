/**
 * `@umd/mgmt/testing`: what a driver's own tests and selftest share. {@link runManagerSelftest}
 * drives a driver's manager through requests, unloads, invalid input and kills, and checks
 * the process table at the end. {@link inheritableFds} lists the descriptors this host holds
 * without close-on-exec (a snapshot; every start closes what reaches the handler) and
 * {@link findLauncher} tells whether starts go through the launcher or the program chain (a cost
 * a benchmark of cold starts should name).
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
