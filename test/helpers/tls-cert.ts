import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed certificate for 127.0.0.1 and ::1 in a temp dir; remove() deletes it. */
export function selfSignedCert(): { cert: string; key: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tspbx-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost'],
    { stdio: 'ignore' },
  );
  return { cert, key, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
