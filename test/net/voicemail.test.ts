// Voicemail over real UDP on 127.0.0.1: a caller reaches voicemail:1002 through the dialplan,
// skips the greeting with '#', speaks (a 600 Hz tone) and presses '#'; the message is a WAV with
// the tone in it, and 1002's MWI subscription gets a NOTIFY with 1/0. Then 1002 dials *97, enters
// its PIN, hears the tone back, and saves the message (0/1) or deletes it.
import { existsSync } from 'node:fs';
import t, { type Test } from 'tap';
import { readWav } from '../../src/media/wav.js';
import { goertzel, rms, sine } from '../helpers/audio.js';
import { callApp, cdrFor, logged as waitLogged, phone, type AppCall } from './helpers/flows.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';
import type { Phone } from './helpers/phone.js';
import { bodyOf, Subscriber } from './helpers/subscriber.js';
import type { LogLine } from '../helpers/log.js';

const TONE_HZ = 600;
/** RFC 4733 event codes. */
const HASH = 11;
const STAR = 10;

// Prompts play in real time: each call lasts several seconds.
t.setTimeout(300_000);

let pbx: TestPbx;
t.before(async () => {
  pbx = await startPbx({ voicemailPins: { '1002': '4321' }, dialplan: { '800': 'voicemail:1002' }, extra: 'voicemail: { max_silence: 3 }\n' });
});
t.teardown(() => pbx.close());

async function press(c: AppCall, keys: string): Promise<void> {
  for (const k of keys) await c.ep.sendDigit(k === '#' ? HASH : k === '*' ? STAR : Number(k), c.pbxMedia.port);
}

function logged(pred: (l: LogLine) => boolean, what: string): Promise<void> {
  return waitLogged(pbx, pred, what, 10_000);
}

/** True when the window is a clean tone at `hz`: loud, and most of its energy in that one frequency. */
function isTone(pcm: Int16Array, rate: number, hz: number): boolean {
  if (pcm.length < rate / 10 || rms(pcm) < 1000) return false;
  return goertzel(pcm, rate, hz) > 0.3 * (rms(pcm) / 32768) ** 2;
}

/**
 * Leaves a 2 s message of a 600 Hz tone in 1002's mailbox from 1001, ended by '#' (or by 4 s of
 * silence after it); resolves with the call.
 */
async function leaveMessage(t: Test, end: '#' | 'silence' = '#'): Promise<AppCall> {
  const alice = await phone(t, pbx, '1001');
  const c = await callApp(t, alice, '800');
  await press(c, '#');
  await logged((l) => l.obj.callId === c.callId && l.msg === 'recording a voicemail message', 'the recording start');
  await c.ep.send(sine(8000, TONE_HZ, 8000, 16000), c.pbxMedia.port);
  if (end === '#') await press(c, '#');
  else void c.ep.send(new Int16Array(8000 * 6), c.pbxMedia.port);
  const bye = await alice.request('BYE');
  alice.reply(bye, 200, '');
  return c;
}

async function loginStar97(t: Test, bob: Phone): Promise<AppCall> {
  const c = await callApp(t, bob, '*97');
  await press(c, '4321#');
  await logged((l) => l.obj.callId === c.callId && l.msg === 'voicemail login', 'the login');
  return c;
}

/** 1002 presses 1 and hears the message: the tone comes back. */
async function listenToFirst(c: AppCall): Promise<void> {
  await press(c, '1');
  c.ep.clear();
  await c.ep.waitFor(() => isTone(c.ep.tail(1600), 8000, TONE_HZ), 15000, 'the message played back');
}

async function subscribed(t: Test, bob: Phone): Promise<Subscriber> {
  const sub = new Subscriber(bob, 'message-summary', 'sip:1002@pbx.test');
  t.equal((await sub.subscribe(300)).status, 200);
  t.teardown(async () => {
    await sub.refresh(0);
  });
  return sub;
}

/** The next NOTIFY of `sub` whose Voice-Message line is `counts`. */
async function notifyWith(sub: Subscriber, counts: string): Promise<string> {
  for (let i = 0; i < 5; i++) {
    const body = bodyOf(await sub.notify());
    if (body.includes(`Voice-Message: ${counts} `)) return body;
  }
  throw new Error(`no NOTIFY with Voice-Message ${counts}`);
}

t.test('a voicemail left, then heard through *97 and saved: the MWI NOTIFY goes 0/0, 1/0, 0/1', async (t) => {
  const bob = await phone(t, pbx, '1002');
  const sub = await subscribed(t, bob);
  t.match(bodyOf(await sub.notify()), /Voice-Message: 0\/0 /);

  const left = await leaveMessage(t);
  const lit = await notifyWith(sub, '1/0');
  t.match(lit, /Messages-Waiting: yes\r\n/, 'the lamp lights');
  const [message, ...others] = pbx.voicemail.list('1002');
  t.equal(others.length, 0, 'one message');
  t.match(message, { folder: 'new', caller: '1001', caller_name: 'Alice', call_id: left.callId });
  t.ok(existsSync(message!.path), 'its WAV is under data_dir/voicemail/1002');
  const wav = readWav(message!.path);
  const seconds = wav.pcm.length / wav.sampleRate;
  t.ok(seconds > 1.5 && seconds < 3.5, `the message lasts about 2 s (${seconds.toFixed(2)} s)`);
  const middle = wav.pcm.subarray(Math.floor(wav.pcm.length / 4), Math.floor((wav.pcm.length * 3) / 4));
  t.ok(isTone(middle, wav.sampleRate, TONE_HZ), 'the tone the caller sent is in it');
  t.ok(message!.duration_s > 1.5 && message!.duration_s < 3.5, `the index says about 2 s (${message!.duration_s})`);
  t.match(await cdrFor(pbx, left.callId), { status: 'voicemail', path: 'voicemail:1002', to: '800' });

  const c = await loginStar97(t, bob);
  await listenToFirst(c);
  t.match(await notifyWith(sub, '0/1'), /Messages-Waiting: no\r\n/, 'heard: the lamp goes out');
  await press(c, '9');
  await logged(() => pbx.voicemail.list('1002', 'saved').length === 1, 'the save');
  t.same(pbx.voicemail.counts('1002'), { new: 0, old: 1, urgentNew: 0, urgentOld: 0 });
  const bye = bob.inDialog(c.dialog, 'BYE');
  t.equal((await bob.final(bye)).status, 200);
  t.match(await cdrFor(pbx, c.callId), { path: 'feature:voicemail>voicemail-main', to: '*97' });
});

t.test('*97, listen, 7: the new message and its file are deleted and the NOTIFY counts only the saved one (0/1)', async (t) => {
  const bob = await phone(t, pbx, '1002');
  const sub = await subscribed(t, bob);
  await sub.notify();
  await leaveMessage(t);
  await notifyWith(sub, '1/1');
  const fresh = pbx.voicemail.list('1002', 'new')[0]!;

  const c = await loginStar97(t, bob);
  await listenToFirst(c);
  await notifyWith(sub, '0/2');
  await press(c, '7');
  await notifyWith(sub, '0/1');
  t.equal(pbx.voicemail.get(fresh.id), null, 'the row is gone');
  t.notOk(existsSync(fresh.path), 'the file is gone');
  const bye = bob.inDialog(c.dialog, 'BYE');
  await bob.final(bye);
});

t.test('a wrong PIN three times: goodbye and the PBX hangs up; nothing is opened', async (t) => {
  const bob = await phone(t, pbx, '1002');
  const c = await callApp(t, bob, '*97');
  for (let i = 0; i < 3; i++) {
    await press(c, '1111#');
    await logged((l) => l.obj.callId === c.callId && l.msg === 'voicemail login failed' && l.obj.attempt === i + 1, `failed login ${i + 1}`);
  }
  const bye = await bob.request('BYE');
  bob.reply(bye, 200, '');
  t.notOk(pbx.log.some((l) => l.obj.callId === c.callId && l.msg === 'voicemail login'));
  t.match(await cdrFor(pbx, c.callId), { path: 'feature:voicemail>voicemail-main' });
});

t.test('a caller who stops talking: 3 s of silence end the message, and the silence is cut off it', async (t) => {
  const before = new Set(pbx.voicemail.list('1002').map((m) => m.id));
  const c = await leaveMessage(t, 'silence');
  await logged(() => pbx.voicemail.list('1002').length > before.size, 'the new message');
  const message = pbx.voicemail.list('1002').find((m) => !before.has(m.id))!;
  t.equal(message.call_id, c.callId);
  t.ok(message.duration_s >= 1.5 && message.duration_s < 3, `about the 2 s of tone (${message.duration_s} s)`);
  const wav = readWav(message.path);
  const tail = wav.pcm.subarray(Math.max(0, wav.pcm.length - wav.sampleRate / 4));
  t.ok(rms(tail) > 1000, 'the file ends in the tone, not in silence');
});
