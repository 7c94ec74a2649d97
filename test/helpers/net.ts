import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
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
