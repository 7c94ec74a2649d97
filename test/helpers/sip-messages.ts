import { Headers, type Peer, SipRequest } from '../../src/sip/message.js';

export const PHONE: Peer = { transport: 'udp', address: '198.51.100.7', port: 5062, connectionId: null };
export const PHONE_TCP: Peer = { transport: 'tcp', address: '198.51.100.7', port: 40123, connectionId: 7 };

/** A request as a TU would build it for request(): no Via. */
export function outgoing(method: string, seq = 1, callId = 'call-1@test'): SipRequest {
  const h = new Headers();
  h.add('max-forwards', '70');
  h.add('from', '<sip:1001@pbx.test>;tag=from1');
  h.add('to', '<sip:1002@pbx.test>');
  h.add('call-id', callId);
  h.add('cseq', `${seq} ${method}`);
  h.add('route', '<sip:proxy.test;lr>');
  return new SipRequest(method, 'sip:1002@198.51.100.7:5062', h);
}

export interface IncomingOptions {
  branch?: string;
  via?: string;
  seq?: number;
  toTag?: string;
  callId?: string;
  uri?: string;
}

/** A request as it arrives from a phone, with its Via. */
export function incoming(method: string, o: IncomingOptions = {}): SipRequest {
  const h = new Headers();
  h.add('via', o.via ?? `SIP/2.0/UDP 198.51.100.7:5062;branch=${o.branch ?? 'z9hG4bKabc1'};rport=5062;received=198.51.100.7`);
  h.add('max-forwards', '70');
  h.add('from', '"Alice" <sip:1001@pbx.test>;tag=alice1');
  h.add('to', o.toTag === undefined ? '<sip:1002@pbx.test>' : `<sip:1002@pbx.test>;tag=${o.toTag}`);
  h.add('call-id', o.callId ?? 'in-call-1@test');
  h.add('cseq', `${o.seq ?? 1} ${method}`);
  return new SipRequest(method, o.uri ?? 'sip:1002@pbx.test', h);
}
