// A minimal SIP user agent over one TCP or TLS connection, written with the project's own parser
// and serializer (the Debian SIPp is built without TLS, and a SIPp UAS cannot take an INVITE on
// the connection it registered over). It only sends what the test writes and
// records what arrives; waitFor() resolves on the first matching message, with a deadline.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { StreamFramer } from '../../src/sip/framer.js';
import { digestAnswer } from '../helpers/digest-client.js';
import { Headers, SipRequest, responseTo, type SipMessage, type SipResponse } from '../../src/sip/message.js';
import { parseNameAddr } from '../../src/sip/grammar.js';
import { parseMessage } from '../../src/sip/parser.js';
import { serialize } from '../../src/sip/serializer.js';
import { EXTENSIONS, freePort, RtpProbe, startSipp, type PbxSetup, type SippResult } from './harness.js';

export class StreamUa {
  readonly received: SipMessage[] = [];
  readonly #socket: Socket;
  #waiters: { pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];
  #seen = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    const framer = new StreamFramer({
      onMessage: (buf) => {
        const r = parseMessage(buf, { stream: true });
        if (r.ok) this.#arrived(r.message);
      },
      onPing: () => socket.write('\r\n'),
      onError: () => socket.destroy(),
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('error', () => undefined);
  }

  /** Connects over TLS to host:port, verifying the server against `ca`. */
  static openTls(host: string, port: number, ca: Buffer): Promise<StreamUa> {
    return StreamUa.#open(tlsConnect({ host, port, ca }), 'secureConnect');
  }

  /** Connects over TCP to host:port. */
  static openTcp(host: string, port: number): Promise<StreamUa> {
    return StreamUa.#open(tcpConnect({ host, port }), 'connect');
  }

  static #open(socket: Socket, ready: string): Promise<StreamUa> {
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once(ready, () => {
        socket.off('error', reject);
        resolve(new StreamUa(socket));
      });
    });
  }

  get localPort(): number {
    return this.#socket.localPort ?? 0;
  }

  send(message: SipMessage): void {
    this.#socket.write(serialize(message));
  }

  #arrived(m: SipMessage): void {
    this.received.push(m);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.pred(m)) return true;
      w.resolve(m);
      return false;
    });
  }

  /** The next message (not returned by an earlier waitFor) that matches; rejects after timeoutMs. */
  waitFor(pred: (m: SipMessage) => boolean, timeoutMs = 10000): Promise<SipMessage> {
    const from = this.#seen;
    const i = this.received.findIndex((m, idx) => idx >= from && pred(m));
    if (i >= 0) {
      this.#seen = i + 1;
      return Promise.resolve(this.received[i]!);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`stream UA: no matching message within ${timeoutMs} ms; got ${this.received.map(describeMessage).join(', ')}`));
      }, timeoutMs);
      const done = (m: SipMessage): void => {
        clearTimeout(timer);
        this.#seen = this.received.indexOf(m) + 1;
        resolve(m);
      };
      this.#waiters.push({ pred, resolve: done });
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

export function describeMessage(m: SipMessage): string {
  return m.kind === 'request' ? m.method : `${m.status} ${m.headers.get('cseq') ?? ''}`;
}

export function isRequest(m: SipMessage, method: string): m is SipRequest {
  return m.kind === 'request' && m.method === method;
}

/** The Contact of `ext` at the UA's own end of the connection (nothing listens there: only the connection reaches it). */
export function uaContact(ua: StreamUa, ext: string, transport: 'tcp' | 'tls'): string {
  return `<sip:${ext}@127.0.0.1:${ua.localPort};transport=${transport}>`;
}

/**
 * REGISTER `ext` over the UA's connection (Contact: `contact`, by default uaContact()), answering
 * the 401 with the digest; resolves with the final status.
 */
export async function registerOverStream(ua: StreamUa, transport: 'tcp' | 'tls', ext: string, password: string, contact = uaContact(ua, ext, transport)): Promise<number> {
  const callId = `stream-reg-${ext}-${ua.localPort}`;
  const send = (cseq: number, authorization?: string): void => {
    const h = new Headers()
      .add('via', `SIP/2.0/${transport.toUpperCase()} 127.0.0.1:${ua.localPort};branch=z9hG4bK-reg${cseq}-${ua.localPort};rport`)
      .add('from', `<sip:${ext}@pbx.test>;tag=reg${ua.localPort}`)
      .add('to', `<sip:${ext}@pbx.test>`)
      .add('call-id', callId)
      .add('cseq', `${cseq} REGISTER`)
      .add('contact', contact)
      .add('max-forwards', '70')
      .add('expires', '600');
    if (authorization !== undefined) h.add('authorization', authorization);
    h.add('content-length', '0');
    ua.send(new SipRequest('REGISTER', 'sip:pbx.test', h));
  };
  const final = (cseq: number): Promise<SipResponse> =>
    ua.waitFor((m) => m.kind === 'response' && m.status >= 200 && m.headers.get('call-id') === callId && m.headers.get('cseq') === `${cseq} REGISTER`) as Promise<SipResponse>;
  send(1);
  const challenge = await final(1);
  if (challenge.status !== 401) return challenge.status;
  send(2, digestAnswer(challenge.headers.get('www-authenticate') ?? '', { user: ext, password, method: 'REGISTER', uri: 'sip:pbx.test' }));
  return (await final(2)).status;
}

/**
 * Takes the next INVITE on the connection: 180, then 200 with SDP (PCMA and telephone-event) at
 * 127.0.0.1:rtpPort; resolves with the INVITE once its ACK has come.
 */
export async function answerOverStream(ua: StreamUa, contact: string, rtpPort: number, timeoutMs = 15000): Promise<SipRequest> {
  const invite = (await ua.waitFor((m) => isRequest(m, 'INVITE'), timeoutMs)) as SipRequest;
  const ringing = responseTo(invite, 180, undefined, `callee${rtpPort}`);
  ringing.headers.add('contact', contact).add('content-length', '0');
  ua.send(ringing);
  const sdp = Buffer.from(['v=0', 'o=callee 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${rtpPort} RTP/AVP 8 101`, 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', ''].join('\r\n'));
  const answer = responseTo(invite, 200, undefined, `callee${rtpPort}`);
  for (const rr of invite.headers.getAll('record-route')) answer.headers.add('record-route', rr);
  answer.headers.add('contact', contact).add('content-type', 'application/sdp').add('content-length', String(sdp.length));
  answer.body = sdp;
  ua.send(answer);
  await ua.waitFor((m) => isRequest(m, 'ACK'), timeoutMs);
  return invite;
}

/** Answers the next BYE with 200. */
export async function acceptByeOverStream(ua: StreamUa, timeoutMs = 15000): Promise<void> {
  const bye = (await ua.waitFor((m) => isRequest(m, 'BYE'), timeoutMs)) as SipRequest;
  const ok = responseTo(bye, 200);
  ok.headers.add('content-length', '0');
  ua.send(ok);
}

/** An established call placed by the UA: what its ACK and BYE need, and where the PBX wants its RTP. */
export interface PlacedCall {
  status: number;
  callId: string;
  from: string;
  to: string;
  target: string;
  routes: string[];
  media: { address: string; port: number } | null;
}

/**
 * INVITE `number` from `ext` over the UA's connection with an SDP offer at 127.0.0.1:rtpPort,
 * answering a 401/407 with the digest (RFC 3261 22.2, 22.3); ACKs the final response. A 2xx is
 * ACKed to its Contact through its Record-Route set (RFC 3261 12.1.2, 13.2.2.4).
 */
export async function callOverStream(ua: StreamUa, transport: 'tcp' | 'tls', ext: string, password: string, number: string, rtpPort: number): Promise<PlacedCall> {
  const callId = `stream-call-${ext}-${ua.localPort}`;
  const from = `<sip:${ext}@pbx.test>;tag=caller${ua.localPort}`;
  const uri = `sip:${number}@pbx.test`;
  const via = (branch: string): string => `SIP/2.0/${transport.toUpperCase()} 127.0.0.1:${ua.localPort};branch=z9hG4bK-${branch}-${ua.localPort};rport`;
  const sdp = Buffer.from(['v=0', 'o=caller 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${rtpPort} RTP/AVP 8 101`, 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', ''].join('\r\n'));
  const invite = (cseq: number, auth?: [string, string]): SipRequest => {
    const h = new Headers()
      .add('via', via(`inv${cseq}`))
      .add('from', from)
      .add('to', `<${uri}>`)
      .add('call-id', callId)
      .add('cseq', `${cseq} INVITE`)
      .add('contact', uaContact(ua, ext, transport))
      .add('max-forwards', '70');
    if (auth !== undefined) h.add(auth[0], auth[1]);
    h.add('content-type', 'application/sdp').add('content-length', String(sdp.length));
    return new SipRequest('INVITE', uri, h, sdp);
  };
  const final = (cseq: number): Promise<SipResponse> =>
    ua.waitFor((m) => m.kind === 'response' && m.status >= 200 && m.headers.get('call-id') === callId && m.headers.get('cseq') === `${cseq} INVITE`, 15000) as Promise<SipResponse>;
  const ackNon2xx = (cseq: number, r: SipResponse): void => {
    const h = new Headers().add('via', via(`inv${cseq}`)).add('from', from).add('to', r.headers.get('to') ?? '').add('call-id', callId).add('cseq', `${cseq} ACK`).add('max-forwards', '70').add('content-length', '0');
    ua.send(new SipRequest('ACK', uri, h));
  };
  ua.send(invite(1));
  let r = await final(1);
  let cseq = 1;
  if (r.status === 401 || r.status === 407) {
    ackNon2xx(1, r);
    const challenge = r.headers.get(r.status === 401 ? 'www-authenticate' : 'proxy-authenticate') ?? '';
    cseq = 2;
    ua.send(invite(2, [r.status === 401 ? 'authorization' : 'proxy-authorization', digestAnswer(challenge, { user: ext, password, method: 'INVITE', uri })]));
    r = await final(2);
  }
  const to = r.headers.get('to') ?? '';
  if (r.status >= 300) {
    ackNon2xx(cseq, r);
    return { status: r.status, callId, from, to, target: uri, routes: [], media: null };
  }
  const target = parseNameAddr(r.headers.get('contact') ?? '')?.uri ?? uri;
  const routes = r.headers.getAll('record-route').flatMap((v) => v.split(/,(?=\s*<)/)).map((v) => v.trim()).reverse();
  const body = r.body.toString('latin1');
  const address = /^c=IN IP[46] (\S+)/m.exec(body)?.[1];
  const port = /^m=audio (\d+)/m.exec(body)?.[1];
  const call: PlacedCall = { status: r.status, callId, from, to, target, routes, media: address !== undefined && port !== undefined ? { address, port: Number(port) } : null };
  ua.send(inDialog(ua, transport, call, 'ACK', cseq, `ack${cseq}`));
  return call;
}

/** A request inside a call the UA placed, to its remote target through its route set. */
function inDialog(ua: StreamUa, transport: 'tcp' | 'tls', call: PlacedCall, method: string, cseq: number, branch: string): SipRequest {
  const h = new Headers().add('via', `SIP/2.0/${transport.toUpperCase()} 127.0.0.1:${ua.localPort};branch=z9hG4bK-${branch}-${ua.localPort};rport`);
  for (const route of call.routes) h.add('route', route);
  h.add('from', call.from).add('to', call.to).add('call-id', call.callId).add('cseq', `${cseq} ${method}`).add('max-forwards', '70').add('content-length', '0');
  return new SipRequest(method, call.target, h);
}

/** BYE for a call the UA placed; resolves with the final status. */
export async function hangUpOverStream(ua: StreamUa, transport: 'tcp' | 'tls', call: PlacedCall): Promise<number> {
  ua.send(inDialog(ua, transport, call, 'BYE', 10, 'bye'));
  const r = (await ua.waitFor((m) => m.kind === 'response' && m.status >= 200 && m.headers.get('cseq') === '10 BYE', 15000)) as SipResponse;
  return r.status;
}

/**
 * A SIPp caller on UDP (1001, digest, echoing RTP) calls `ext`, which `ua` answers over its
 * stream connection at `contact`; resolves once RTP has gone both ways and the caller's BYE was
 * taken. The caller process and the probe are cleaned up by the test's teardown.
 */
export async function sippCallAnsweredOverStream(
  t: { teardown(fn: () => void): void },
  setup: PbxSetup,
  ua: StreamUa,
  ext: string,
  contact: string,
): Promise<{ invite: SipRequest; result: SippResult; probe: RtpProbe }> {
  const probe = await RtpProbe.open();
  t.teardown(() => probe.close());
  const caller = startSipp({
    scenario: 'uac-call.xml',
    remote: `127.0.0.1:${setup.sipPort}`,
    localPort: await freePort(),
    mediaPort: await freePort(3),
    rtpEcho: true,
    service: ext,
    credentials: [['1001', EXTENSIONS['1001']!.password]],
    durationMs: 2000,
    timeoutS: 30,
  });
  t.teardown(() => caller.kill());
  const invite = await answerOverStream(ua, contact, probe.port);
  await probe.waitFor((c) => (c.fromPeer.get(8) ?? 0) >= 20 && c.echoedBack >= 20, 15000);
  await acceptByeOverStream(ua);
  return { invite, result: await caller.done, probe };
}
