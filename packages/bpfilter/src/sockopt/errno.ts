import { constants } from 'node:os';

/** Linux errno values the front end answers with itself (negated in results, as the kernel does). */
export const Errno = {
  ENOPROTOOPT: constants.errno.ENOPROTOOPT,
  EFAULT: constants.errno.EFAULT,
  EINVAL: constants.errno.EINVAL,
} as const;
