// Worker script for workerpool (workerType: 'process'); the jobs are those of ops.cjs.
const workerpool = require('workerpool');
const { echo, fault, parse } = require('./ops.cjs');

workerpool.worker({ echo, fault, parse });
