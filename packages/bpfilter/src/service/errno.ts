/**
 * The Linux errno values the service answers with itself when it cannot run a request. The
 * preload library (Linux only) hands them to the caller as errno, so they are Linux's numbers
 * whatever platform the service runs on.
 */
const LINUX_ERRNO = {
  EIO: 5,
  EAGAIN: 11,
  EINVAL: 22,
  EMSGSIZE: 90,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  EHOSTDOWN: 112,
} as const;

/** The positive Linux errno value of `name`. */
export function errnoOf(name: keyof typeof LINUX_ERRNO): number {
  return LINUX_ERRNO[name];
}
