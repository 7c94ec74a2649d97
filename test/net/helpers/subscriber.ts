// A subscriber (RFC 6665 subscriber side) on a test Phone: SUBSCRIBE with digest, the dialog the
// 200 makes, refreshes in it, and the NOTIFYs it receives, each answered (200 unless told).
import { getTag } from '../../../src/sip/grammar.js';
import { Headers, SipRequest, type SipResponse } from '../../../src/sip/message.js';
import { digestAnswer } from '../../helpers/digest-client.js';
import { token, type Phone } from './phone.js';

export class Subscriber {
  readonly callId = `${token()}@127.0.0.1`;
  readonly #tag = token();
  #seq = 0;
  /** The PBX's tag and Contact, once a 200 came. */
  remoteTag: string | null = null;
  #target: string;

  constructor(
    readonly phone: Phone,
    readonly event: string,
    readonly uri: string,
  ) {
    this.#target = uri;
  }

  /** Sends a SUBSCRIBE (in the dialog once there is one); extra header lines after the usual ones. */
  send(expires: number | null, extra: Array<[string, string]> = []): SipRequest {
    const h = new Headers()
      .add('Via', `SIP/2.0/UDP 127.0.0.1:${this.phone.port};branch=z9hG4bK${token()};rport`)
      .add('Max-Forwards', '70')
      .add('From', `<sip:${this.phone.user}@pbx.test>;tag=${this.#tag}`)
      .add('To', this.remoteTag === null ? `<${this.uri}>` : `<${this.uri}>;tag=${this.remoteTag}`)
      .add('Call-ID', this.callId)
      .add('CSeq', `${++this.#seq} SUBSCRIBE`)
      .add('Contact', `<${this.phone.contact}>`)
      .add('Event', this.event);
    if (expires !== null) h.add('Expires', String(expires));
    for (const [n, v] of extra) h.add(n, v);
    const req = new SipRequest('SUBSCRIBE', this.remoteTag === null ? this.uri : this.#target, h);
    this.phone.send(req);
    return req;
  }

  /** SUBSCRIBE, answer the 401 with the phone's credentials, return the final response. */
  async subscribe(expires: number | null, extra: Array<[string, string]> = []): Promise<SipResponse> {
    const first = this.send(expires, extra);
    const challenge = await this.phone.final(first);
    if (challenge.status !== 401) return challenge;
    const auth = digestAnswer(challenge.headers.get('www-authenticate')!, {
      user: this.phone.user,
      password: this.phone.password,
      method: 'SUBSCRIBE',
      uri: this.uri,
    });
    const res = await this.phone.final(this.send(expires, [...extra, ['Authorization', auth]]));
    this.#accept(res);
    return res;
  }

  /** A SUBSCRIBE in the dialog (refresh, or Expires 0 to end it). */
  async refresh(expires: number): Promise<SipResponse> {
    const res = await this.phone.final(this.send(expires));
    return res;
  }

  /** The next NOTIFY of this subscription, answered with `status`. */
  async notify(status = 200): Promise<SipRequest> {
    const req = await this.phone.next<SipRequest>(
      (m) => m.kind === 'request' && m.method === 'NOTIFY' && m.headers.get('call-id') === this.callId,
      `${this.event} NOTIFY`,
    );
    this.phone.reply(req, status, '');
    return req;
  }

  #accept(res: SipResponse): void {
    if (res.status !== 200) return;
    this.remoteTag = getTag(res.headers.get('to')!);
    const contact = res.headers.get('contact') ?? '';
    this.#target = /<([^>]+)>/.exec(contact)?.[1] ?? this.uri;
  }
}

/** The NOTIFY body as text. */
export function bodyOf(req: SipRequest): string {
  return req.body.toString();
}
