import { afterEach, beforeEach } from 'vitest';
import { type ServiceProcess, startService } from './namespace.js';

/**
 * A `bpfilter serve` started before each test of the calling `describe` and stopped after it.
 * Returns the running one (call it inside a test).
 */
export function servicePerTest(): () => ServiceProcess {
  let service: ServiceProcess | undefined;
  beforeEach(async () => {
    service = await startService();
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });
  return () => {
    if (service === undefined) throw new Error('the service runs only during a test');
    return service;
  };
}
