// SIP over TCP (RFC 3261 18).
import { connect, createServer } from 'node:net';
import type { StreamKind } from './stream.js';

export const tcpKind: StreamKind = {
  transport: 'tcp',
  createServer: (onSocket) => createServer(onSocket),
  connect: (host, port) => ({ socket: connect({ host, port }), ready: 'connect' }),
};
