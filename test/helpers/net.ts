import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { connect, type Socket as NetSocket } from 'node:net';
import { Headers, type Peer, SipRequest, type TransportName } from '../../src/sip/message.js';
import { createTransportLayer, type SipTransports, type TransportOptions } from '../../src/sip/transport/index.js';
import type { ListenSpec } from '../../src/sip/transport/types.js';

export function listenOn(transport: TransportName, host = '127.0.0.1'): ListenSpec {
  return { transport, host, port: 0 };
}

export function transports(listen: ListenSpec[], extra: Partial<TransportOptions> = {}): Promise<SipTransports> {
  return createTransportLayer({ listen, maxMessageSize: 65535, tcpIdleTimeoutS: 60, maxConnectionsPerSource: 10, ...extra });
}

export function peerOf(spec: ListenSpec): Peer {
  return { transport: spec.transport, address: spec.host, port: spec.port, connectionId: null };
}

/** An OPTIONS as a TU builds it for request(). */
export function options(target: ListenSpec, callId = `c${Math.random()}`): SipRequest {
  const h = new Headers();
  h.add('max-forwards', '70');
  h.add('from', '<sip:1001@pbx.test>;tag=f1');
  h.add('to', '<sip:1002@pbx.test>');
  h.add('call-id', callId);
  h.add('cseq', '1 OPTIONS');
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return new SipRequest('OPTIONS', `sip:1002@${host}:${target.port}`, h);
}

/** Raw text of a request with the given Via, CRLF line ends. */
export function rawRequest(via: string, extra = '', method = 'OPTIONS'): string {
  return (
    `${method} sip:1002@pbx.test SIP/2.0\r\n` +
    `Via: ${via}\r\n` +
    'Max-Forwards: 70\r\n' +
    'From: <sip:1001@pbx.test>;tag=raw1\r\n' +
    'To: <sip:1002@pbx.test>\r\n' +
    `Call-ID: raw-${Math.random()}\r\n` +
    `CSeq: 1 ${method}\r\n` +
    extra +
    'Content-Length: 0\r\n\r\n'
  );
}

/** A plain UDP client socket on 127.0.0.1 (or ::1) that collects datagrams. */
export async function udpClient(family: 'udp4' | 'udp6' = 'udp4'): Promise<{ socket: Socket; port: number; next(): Promise<string> }> {
  const socket = createSocket(family);
  socket.bind(0, family === 'udp4' ? '127.0.0.1' : '::1');
  await once(socket, 'listening');
  return {
    socket,
    port: socket.address().port,
    async next() {
      const [buf] = (await once(socket, 'message')) as [Buffer];
      return buf.toString();
    },
  };
}

/** A raw TCP client that collects what the server sends. */
export async function tcpClient(port: number, host = '127.0.0.1'): Promise<{ socket: NetSocket; received(): string; waitFor(re: RegExp): Promise<string>; closed: Promise<void> }> {
  const socket = connect({ port, host });
  await once(socket, 'connect');
  let text = '';
  const waiters: { re: RegExp; resolve: (s: string) => void }[] = [];
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (let i = waiters.length - 1; i >= 0; i--) {
      const m = waiters[i]!.re.exec(text);
      if (m !== null) {
        waiters[i]!.resolve(m[0]);
        waiters.splice(i, 1);
      }
    }
  });
  return {
    socket,
    received: () => text,
    waitFor(re) {
      const m = re.exec(text);
      if (m !== null) return Promise.resolve(m[0]);
      return new Promise((resolve) => waiters.push({ re, resolve }));
    },
    closed,
  };
}

/** Writes one piece after the other, each flushed before the next. */
export async function writeInPieces(socket: NetSocket, text: string, size: number): Promise<void> {
  for (let i = 0; i < text.length; i += size) {
    await new Promise<void>((resolve, reject) => socket.write(text.slice(i, i + size), (err) => (err ? reject(err) : resolve())));
  }
}
