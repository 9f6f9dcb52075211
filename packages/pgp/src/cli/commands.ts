/** The commands of `umd-pgp`: each returns its exit status and writes its output. */
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { appraise } from '../appraise.js';
import type { PgpVerifier } from '../driver.js';
import { PgpError } from '../errors.js';
import { exitFor } from './exit.js';
import { readInput } from './read-input.js';
import { describeKey, describeSignature } from './format.js';

/** The parsed command line a command needs. */
export interface CommandLine {
  positionals: string[];
  keys: string[];
  rpms: string[];
  root?: string;
  output?: string;
  json: boolean;
  timeoutMs: number;
}

/** Where a command writes: standard output, in one place so that --json stays one document. */
export type Out = (line: string) => void;

function usage(message: string): never {
  throw new PgpError('PGP_INVALID_ARGUMENT', message);
}

async function keysOf(line: CommandLine): Promise<Buffer> {
  if (line.keys.length === 0) usage('no --key given');
  return Buffer.concat(await Promise.all(line.keys.map((file) => readInput(file))));
}

function json(out: Out, value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** `verify SIG DATA` or `verify MESSAGE`. */
export async function verify(v: PgpVerifier, line: CommandLine, out: Out): Promise<number> {
  const [first, data, ...rest] = line.positionals;
  if (!first || rest.length > 0) usage('verify takes SIG DATA or MESSAGE');
  const keys = await v.readKeys(await keysOf(line), { timeoutMs: line.timeoutMs });
  const options = { keys, timeoutMs: line.timeoutMs };
  let result: Awaited<ReturnType<PgpVerifier['verifyDetached']>> & { data?: Buffer };
  if (data !== undefined) {
    const stream = data === '-' ? process.stdin : createReadStream(data);
    result = await v.verifyDetached(stream, await readInput(first), options);
  } else {
    const message = await readInput(first);
    const clear = message.includes('-----BEGIN PGP SIGNED MESSAGE-----');
    result = clear
      ? await v.verifyCleartext(message, options)
      : await v.verifyInline(message, options);
    if (line.output) await writeFile(line.output, result.data as Buffer);
  }
  if (line.json) json(out, { status: result.status, signatures: result.signatures });
  else for (const sig of result.signatures) out(describeSignature(sig));
  return exitFor(result.status);
}

/** `show-key KEY...` */
export async function showKey(v: PgpVerifier, line: CommandLine, out: Out): Promise<number> {
  if (line.positionals.length === 0) usage('show-key takes key files');
  const keys = [];
  for (const file of line.positionals)
    keys.push(...(await v.inspectKey(await readInput(file), { timeoutMs: line.timeoutMs })));
  if (line.json) json(out, keys);
  else for (const key of keys) out(describeKey(key));
  return 0;
}

/** `verify-rpm PKG...` */
export async function verifyRpm(v: PgpVerifier, line: CommandLine, out: Out): Promise<number> {
  if (line.positionals.length === 0) usage('verify-rpm takes package files');
  const keys = await v.readKeys(await keysOf(line), { timeoutMs: line.timeoutMs });
  let status = 0;
  const results = [];
  for (const file of line.positionals) {
    const result = await v.verifyRpm(file, { keys, timeoutMs: line.timeoutMs });
    const { files: _files, ...summary } = result;
    results.push({ file, ...summary });
    if (!line.json) out(`${file}: ${result.summary}`);
    // An unsigned package is not a good one: 1, though rpmkeys says "digests OK".
    status = Math.max(status, exitFor(result.status));
  }
  if (line.json) json(out, results);
  return status;
}

/** `rpm-digests PKG`: only from a package whose signature verified. */
export async function rpmDigests(v: PgpVerifier, line: CommandLine, out: Out): Promise<number> {
  const [file, ...rest] = line.positionals;
  if (!file || rest.length > 0) usage('rpm-digests takes one package file');
  const keys = await v.readKeys(await keysOf(line), { timeoutMs: line.timeoutMs });
  const result = await v.verifyRpm(file, { keys, timeoutMs: line.timeoutMs });
  if (result.status !== 'good' || !result.files) {
    if (line.json) json(out, { file, status: result.status, summary: result.summary });
    else
      process.stderr.write(
        `umd-pgp: ${file}: not verified (${result.summary}); no digests given\n`,
      );
    return exitFor(result.status);
  }
  if (line.json)
    json(out, {
      file,
      status: result.status,
      algorithm: result.fileDigestAlgorithm,
      files: result.files,
    });
  else for (const f of result.files) if (f.digest) out(`${f.digest}  ${f.path}`);
  return 0;
}

/** `appraise FILE... --rpm PKG... --key KEY...` */
export async function appraiseFiles(v: PgpVerifier, line: CommandLine, out: Out): Promise<number> {
  if (line.positionals.length === 0) usage('appraise takes files');
  if (line.rpms.length === 0) usage('appraise needs at least one --rpm');
  const keys = await v.readKeys(await keysOf(line), { timeoutMs: line.timeoutMs });
  const packages = [];
  for (const rpm of line.rpms)
    packages.push(await v.verifyRpm(rpm, { keys, timeoutMs: line.timeoutMs }));
  let status = 0;
  const decisions = [];
  for (const file of line.positionals) {
    const decision = await appraise(file, { packages, ...(line.root ? { root: line.root } : {}) });
    decisions.push({ file, ...decision });
    if (!line.json)
      out(
        `${decision.allow ? 'allow' : 'deny'} ${file}: ${decision.reason}${decision.package ? ` (${decision.package})` : ''}`,
      );
    if (!decision.allow) status = 1;
  }
  if (line.json) json(out, decisions);
  return status;
}
