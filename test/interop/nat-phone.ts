// A phone for the NAT test (nat-netns.test.ts), run as its own process inside a network namespace
// (`ip netns exec NS node nat-phone.ts JSON`). It registers (and waits for a keep-alive when
// asked), then as the caller dials when told ("call" on stdin) and hangs up when told ("bye"); as
// the callee it answers. Once the
// call is up it sends a PCMU tone of `toneHz` and reports the tone it hears. Every step prints one
// JSON line on stdout; a failure prints {"event":"error"} and exits 1.
import { createInterface } from 'node:readline';
import { G711Codec } from '../../src/media/codec/g711.js';
import type { SipRequest } from '../../src/sip/message.js';
import { sine, zeroCrossingFrequency } from '../helpers/audio.js';
import { Phone, sdpFor, sdpMedia, type Addr } from '../net/helpers/phone.js';

interface Role {
  role: 'caller' | 'callee';
  user: string;
  password: string;
  /** The address the phone binds to (its private address behind NAT). */
  host: string;
  pbx: Addr;
  toneHz: number;
  /** The number the caller dials. */
  dial?: string;
  /** Wait for a keep-alive OPTIONS after registering (a phone behind NAT). */
  keepAlive?: boolean;
}

const FRAME = 160;
const SEND_FRAMES = 150;
const HEAR_FRAMES = 50;

function say(event: string, data: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
}

/** Sends `SEND_FRAMES` 20 ms frames of the tone to `to`; resolves with what was heard meanwhile. */
async function talk(phone: Phone, to: Addr, hz: number): Promise<{ hz: number; packets: number; sources: string[] }> {
  const codec = new G711Codec('PCMU');
  const tone = sine(8000, hz, 8000, FRAME * SEND_FRAMES);
  const payload = new Uint8Array(FRAME);
  let frame = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      codec.encode(tone.subarray(frame * FRAME, (frame + 1) * FRAME), payload);
      phone.sendRtp(to, 0, frame + 1, Buffer.from(payload));
      frame++;
      if (frame >= SEND_FRAMES || phone.rtpReceived.length >= HEAR_FRAMES + 10) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
  await phone.waitRtp(HEAR_FRAMES);
  const heard = phone.rtpReceived.slice(-HEAR_FRAMES);
  const pcm = new Int16Array(FRAME * heard.length);
  heard.forEach((p, i) => codec.decode(p.payload.subarray(12), pcm.subarray(i * FRAME)));
  const sources = [...new Set(phone.rtpReceived.map((p) => `${p.from.address}:${p.from.port}`))];
  return { hz: Math.round(zeroCrossingFrequency(pcm, 8000)), packets: phone.rtpReceived.length, sources };
}

async function caller(phone: Phone, r: Role, stdin: AsyncIterator<string>): Promise<void> {
  await stdin.next();
  const invite = await phone.dial(r.dial!, sdpFor(phone.rtpPort, [[0, 'PCMU']], 'sendrecv', r.host));
  const ok = await phone.final(invite);
  if (ok.status !== 200) throw new Error(`the call got ${ok.status}`);
  const dialog = phone.dialogFromUac(invite, ok);
  phone.inDialog(dialog, 'ACK', undefined, dialog.cseq);
  say('answered', { sdp: ok.body.toString('latin1') });
  const heard = await talk(phone, sdpMedia(ok.body), r.toneHz);
  say('heard', heard);
  await stdin.next();
  const bye = phone.inDialog(dialog, 'BYE');
  const res = await phone.final(bye);
  say('bye', { status: res.status });
}

async function callee(phone: Phone, r: Role): Promise<void> {
  let invite: SipRequest | null = null;
  for (let i = 0; i < 10 && invite === null; i++) invite = await phone.request('INVITE').catch(() => null);
  if (invite === null) throw new Error('no INVITE came');
  phone.reply(invite, 180, 'callee');
  phone.reply(invite, 200, 'callee', sdpFor(phone.rtpPort, [[0, 'PCMU']], 'sendrecv', r.host));
  await phone.request('ACK');
  say('answered', { sdp: invite.body.toString('latin1') });
  const heard = await talk(phone, sdpMedia(invite.body), r.toneHz);
  say('heard', heard);
  let bye: SipRequest | null = null;
  for (let i = 0; i < 4 && bye === null; i++) bye = await phone.request('BYE').catch(() => null);
  if (bye === null) throw new Error('no BYE came');
  phone.reply(bye, 200, 'callee');
  say('bye', { status: 200 });
}

async function main(): Promise<void> {
  const r = JSON.parse(process.argv[2]!) as Role;
  const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const phone = await Phone.open(r.user, r.password, r.pbx, r.host);
  try {
    const ok = await phone.register(3600);
    say('registered', { contact: ok.headers.get('contact') });
    if (r.keepAlive === true) {
      const keepAlive = await phone.request('OPTIONS');
      phone.reply(keepAlive, 200, 'ka');
      say('keepalive', { uri: keepAlive.uri });
    }
    if (r.role === 'caller') await caller(phone, r, stdin);
    else await callee(phone, r);
  } finally {
    phone.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say('error', { message: String((err as Error).stack ?? err) });
    process.exit(1);
  },
);
