// SIP over TLS (RFC 3261 18, 26.2): node:tls with the certificate and key files of the config.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { connect, createServer } from 'node:tls';
import { PbxError } from '../../util/errors.js';
import type { StreamKind } from './stream.js';

export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string | null;
}

/** A TLS handshake that has not finished by then is dropped. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

async function load(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new PbxError('PBX_ERR_SIP_TLS_FILE', `cannot read the TLS ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Reads the files once at start-up; outgoing connections verify peers against `ca` (or the system CAs). */
export async function tlsKind(files: TlsFiles): Promise<StreamKind> {
  const cert = await load(files.cert, 'certificate');
  const key = await load(files.key, 'key');
  const ca = files.ca ? await load(files.ca, 'CA file') : undefined;
  return {
    transport: 'tls',
    createServer: (onSocket) => createServer({ cert, key, ca, handshakeTimeout: HANDSHAKE_TIMEOUT_MS }, onSocket),
    connect: (host, port) => ({
      socket: connect({ host, port, ca, cert, key, servername: isIP(host) === 0 ? host : undefined }),
      ready: 'secureConnect',
    }),
  };
}
