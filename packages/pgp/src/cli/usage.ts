/** The help text of `umd-pgp`. */
export const USAGE = `umd-pgp: OpenPGP and RPM verification with the parser in an isolated handler process

Usage:
  umd-pgp verify --key KEY... SIG DATA      a detached signature over DATA (streamed; - for stdin)
  umd-pgp verify --key KEY... MESSAGE       a cleartext- or inline-signed message
  umd-pgp show-key KEY...                   the keys, as the host established them
  umd-pgp verify-rpm --key KEY... PKG...    header and payload signatures (as rpmkeys --checksig)
  umd-pgp rpm-digests --key KEY... PKG      the file digests of a verified package (sha256sum style)
  umd-pgp appraise --rpm PKG... --key KEY... [--root DIR] FILE...
                                            may FILE run? its digest must be listed by a verified package

Options:
  -k, --key FILE      keys (binary or armored); repeat for several files
      --rpm FILE      a package for appraise; repeat for several
      --root DIR      appraise: package paths are relative to DIR (an extracted tree)
  -o, --output FILE   verify: write the signed content of a message to FILE
      --json          machine-readable output (one JSON document)
      --timeout MS    per handler request (default 30000)
  -h, --help          this text
  -V, --version       the version

Exit status: 0 good (or allowed), 1 bad, expired or revoked (or denied), 2 error: unusable
input, no public key, an unsupported algorithm, or a usage error. As gpgv's, except that gpgv
exits 0 for a valid signature by an expired or revoked key: here only a good one is 0.
`;
