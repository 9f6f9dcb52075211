export {
  BpfilterSockopt,
  type BpfilterSockoptOptions,
  type BpfilterState,
  type SockoptCallOptions,
  type SockoptResult,
} from './bpfilter-sockopt.js';
export { isRoutedGet, isRoutedSet } from './routing.js';
export type { TableSnapshot } from './table-snapshot.js';
