import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A test CA and a server certificate it signed for 127.0.0.1 (and localhost), as PEM files in one directory. */
export interface TestCertificates {
  /** The CA certificate (what NODE_EXTRA_CA_CERTS names, like the RDS CA bundle on Lambda). */
  caFile: string;
  ca: string;
  /** The server's certificate and private key (the key readable by its owner only). */
  certFile: string;
  keyFile: string;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * Makes a fresh CA (P-256, one day) and a server certificate it signs, with subjectAltName IP:127.0.0.1 and
 * DNS:localhost, into `dir`, with the `openssl` command line (Debian: package openssl; .ci/run installs it if missing).
 * Nothing is trusted outside the test that installs the CA.
 */
export function makeTestCertificates(dir: string): TestCertificates {
  fs.mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=fleapo test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  fs.writeFileSync(
    path.join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'server.ext',
    ],
    dir,
  );
  fs.chmodSync(path.join(dir, 'server.key'), 0o600);
  fs.rmSync(path.join(dir, 'ca.key')); // nothing else is ever signed with it
  const caFile = path.join(dir, 'ca.crt');
  return { caFile, ca: fs.readFileSync(caFile, 'utf8'), certFile: path.join(dir, 'server.crt'), keyFile: path.join(dir, 'server.key') };
}
