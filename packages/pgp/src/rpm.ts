/**
 * RPM packages: header and payload signatures checked as `rpmkeys --checksig` does, the file
 * list with digests of a verified header, and the appraisal of a file on disk against it.
 */
import { createHash } from 'node:crypto';
import { Op, RPM_HEADER_TAGS, RPM_SIGNATURE_TAGS, RpmTag } from './contract.js';
import type { Keyring, PgpVerifier, VerifyOptions } from './driver.js';
import { planAll } from './keyring.js';
import { PgpError } from './errors.js';
import { HASHES } from './host/algorithms.js';
import { lie } from './host/check.js';
import { checkHeader, numbers, strings } from './host/rpm-header.js';
import { ask } from './host/request.js';
import { rpmReply } from './host/schema.js';
import { decide, type SignatureResult, type SignatureStatus } from './host/verify.js';
import type { OpenedRegularFile } from '@umd/core/untrusted';
import { untilAborted } from './input.js';
import { openInputFile } from './regular-file.js';

/** The verdict of one digest: matches, differs, or the package has none. */
export type DigestStatus = 'ok' | 'bad' | 'absent';

/** One file of a verified package. */
export interface RpmFile {
  /** Absolute path, as the header lists it (directory name and base name). */
  path: string;
  /** Hex digest from the header (empty for directories, links, ghosts). */
  digest: string;
  /** Size in bytes, from the header. */
  size: number;
  /** File mode (type and permission bits), from the header. */
  mode: number;
}

/** The verdict on an RPM package. */
export interface RpmResult {
  /**
   * `good` when the header signature is good and every digest matches (as `rpmkeys
   * --checksig` says OK with signatures); `unsigned` when there is no header signature;
   * otherwise the signature's status, or `bad` when a digest differs.
   */
  status: SignatureStatus | 'unsigned';
  /** The header signature's verdict, when there is one. */
  signature?: SignatureResult;
  /** Each digest the signature header holds, recomputed by the host. */
  digests: {
    /** SHA-256 of the main header. */
    headerSha256: DigestStatus;
    /** SHA-1 of the main header. */
    headerSha1: DigestStatus;
    /** The payload's digest (from the main header). */
    payload: DigestStatus;
    /** MD5 of header and payload. */
    md5: DigestStatus;
  };
  /** What `rpmkeys --checksig` prints after the file name, e.g. `digests signatures OK`. */
  summary: string;
  /** Package name, from the main header. */
  name: string;
  /** Package version. */
  version: string;
  /** Package release. */
  release: string;
  /** Package architecture. */
  arch: string;
  /** The file list with digests: only from a package whose status is `good`. */
  files?: RpmFile[];
  /** Hash algorithm of the file digests (RFC 9580 numbers, as rpm uses them). */
  fileDigestAlgorithm?: number;
}

const HEAD = 64 * 1024 * 1024 - 1;

function hex(name: string, data: Iterable<Buffer>): string {
  const hash = createHash(name);
  for (const chunk of data) hash.update(chunk);
  return hash.digest('hex');
}

const compare = (expected: string | undefined, actual: () => string): DigestStatus =>
  expected === undefined ? 'absent' : expected.toLowerCase() === actual() ? 'ok' : 'bad';

/** Verifies the RPM package at `file` against `keys`. Streams the payload from disk. */
export async function verifyRpm(
  verifier: PgpVerifier,
  file: string,
  options: VerifyOptions & { keyring: Keyring },
): Promise<RpmResult> {
  const opened = await openInputFile(file);
  if (opened === undefined)
    throw new PgpError('PGP_INVALID_ARGUMENT', `${file} is not a regular file`);
  try {
    return await verifyOpened(verifier, opened, options);
  } finally {
    await opened.handle.close();
  }
}

/** {@link verifyRpm} of the package open as `handle`: its head, then its payload, read from it. */
async function verifyOpened(
  verifier: PgpVerifier,
  { handle, size }: OpenedRegularFile,
  options: VerifyOptions & { keyring: Keyring },
): Promise<RpmResult> {
  const head = Buffer.alloc(Math.min(size, HEAD));
  await handle.read(head, 0, head.length, 0);
  const parsed = await ask(verifier.manager, Op.RPM, head, rpmReply, options, (reply) => {
    const sig = checkHeader(head, reply.signature, 96, RPM_SIGNATURE_TAGS, 'reply.signature');
    const main = checkHeader(
      head,
      reply.header,
      sig.end + ((8 - (sig.end % 8)) % 8),
      RPM_HEADER_TAGS,
      'reply.header',
    );
    if (reply.payloadStart !== main.end) lie('reply.payloadStart', 'differs from the header end');
    const blocks = [head];
    // Each signature packet must lie inside the value of the tag it came from.
    for (const [i, { tag, packet }] of reply.signatures.entries()) {
      const entry = sig.entries.get(tag);
      const from = sig.dataStart + (entry?.offset ?? 0);
      if (
        entry?.type !== 7 ||
        packet.block !== 0 ||
        packet.at < from ||
        packet.at >= from + entry.count
      ) {
        lie(`reply.signatures[${i}]`, 'not inside its tag');
      }
    }
    const headerSig = reply.signatures.find(
      (s) => s.tag === RpmTag.SIG_RSA || s.tag === RpmTag.SIG_DSA,
    );
    const plans = headerSig ? planAll([headerSig.packet], blocks, options.keyring) : [];
    return { sig, main, plans };
  });
  const { sig, main, plans } = parsed;
  const headerBytes = head.subarray(main.start, main.end);
  const [signature] = await decide(
    plans,
    [headerBytes],
    options.now?.getTime() ?? Date.now(),
    options.signal,
  );
  // The payload: streamed from disk, hashed for the header's payload digest and the MD5.
  const algo = numbers(main.entries.get(RpmTag.PAYLOADDIGESTALGO))[0] ?? 8;
  const payloadHash = createHash(HASHES[algo]?.node ?? 'sha256');
  const md5 = createHash('md5').update(headerBytes);
  // Each chunk waited for only until the call's signal fires (typed: UMD_ABORTED or UMD_TIMEOUT).
  const payload = untilAborted(
    handle.createReadStream({ start: main.end, autoClose: false }),
    options.signal,
  );
  for await (const chunk of payload) {
    payloadHash.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  const sigValue = (tag: number) => {
    const v = sig.entries.get(tag)?.value;
    return typeof v === 'string'
      ? Buffer.from(v, 'base64').toString('hex')
      : strings(sig.entries.get(tag))[0];
  };
  const payloadExpected = strings(main.entries.get(RpmTag.PAYLOADDIGEST))[0];
  const payloadDigest = payloadHash.digest('hex');
  const digests = {
    headerSha256: compare(sigValue(RpmTag.SIG_SHA256), () => hex('sha256', [headerBytes])),
    headerSha1: compare(sigValue(RpmTag.SIG_SHA1), () => hex('sha1', [headerBytes])),
    payload: compare(payloadExpected, () => payloadDigest),
    md5: compare(sigValue(RpmTag.SIG_MD5), () => md5.digest('hex')),
  };
  const digestsOk = Object.values(digests).every((d) => d !== 'bad');
  // The payload is covered by the signature through the payload digest in the signed header.
  const signaturesOk = signature?.status === 'good' && digests.payload === 'ok';
  const ok = digestsOk && (!signature || signaturesOk);
  const summary = [
    digestsOk ? 'digests' : 'DIGESTS',
    ...(signature ? [signaturesOk ? 'signatures' : 'SIGNATURES'] : []),
    ok ? 'OK' : 'NOT OK',
  ].join(' ');
  const text = (tag: number) => strings(main.entries.get(tag))[0] ?? '';
  const result: RpmResult = {
    status: !signature
      ? 'unsigned'
      : !ok
        ? signature.status === 'good'
          ? 'bad'
          : signature.status
        : 'good',
    digests,
    summary,
    name: text(RpmTag.NAME),
    version: text(RpmTag.VERSION),
    release: text(RpmTag.RELEASE),
    arch: text(RpmTag.ARCH),
  };
  if (signature) result.signature = signature;
  if (result.status === 'good') {
    const dirs = strings(main.entries.get(RpmTag.DIRNAMES));
    const index = numbers(main.entries.get(RpmTag.DIRINDEXES));
    const digestsList = strings(main.entries.get(RpmTag.FILEDIGESTS));
    const sizes = numbers(main.entries.get(RpmTag.FILESIZES));
    const modes = numbers(main.entries.get(RpmTag.FILEMODES));
    result.files = strings(main.entries.get(RpmTag.BASENAMES)).map((base, i) => {
      const dir = dirs[index[i] ?? -1];
      if (dir === undefined) throw new PgpError('PGP_MALFORMED', `file ${i} has no directory`);
      return {
        path: dir + base,
        digest: digestsList[i] ?? '',
        size: sizes[i] ?? 0,
        mode: modes[i] ?? 0,
      };
    });
    result.fileDigestAlgorithm = numbers(main.entries.get(RpmTag.FILEDIGESTALGO))[0] ?? 1;
  }
  return result;
}
