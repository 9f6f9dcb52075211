// Worker module for piscina and tinypool (threads and child_process): one named export per job.
export { echo, fault, parse } from './ops.cjs';
