// Dial-in conference rooms over real UDP on 127.0.0.1: three phones dial 700 (conference:team,
// PIN 4321), send the PIN as RFC 4733 digits, and talk through the media mixer; each sends a tone
// of its own and must hear the other two and not itself. A wrong PIN is refused, three are hung
// up, *6 mutes, a full room turns callers away, and one leaving keeps the others together.
import t, { type Test } from 'tap';
import { goertzel, sine } from '../helpers/audio.js';
import { callApp, cdrFor, logged as loggedBy, phone, type AppCall } from './helpers/flows.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';
import type { LogLine } from '../helpers/log.js';
import type { Phone } from './helpers/phone.js';

// Prompts play in real time: a few seconds per caller.
t.setTimeout(240_000);

const ROOMS = `conferences:
  team: { pin: "4321" }
  small: { max_members: 1, announce_count: false }
`;

let pbx: TestPbx;
t.before(async () => {
  pbx = await startPbx({ extra: ROOMS, dialplan: { '701': 'conference:small' }, compiledWorker: true });
});
t.teardown(() => pbx.close());

/** RFC 4733 event codes (section 3.2): 0-9, * is 10, # is 11. */
function eventCode(key: string): number {
  return key === '*' ? 10 : key === '#' ? 11 : Number(key);
}

async function press(c: AppCall, keys: string): Promise<void> {
  for (const key of keys) await c.ep.sendDigit(eventCode(key), c.pbxMedia.port);
}

function loggedFor(c: AppCall, msg: string, ms = 15000): Promise<void> {
  return loggedBy(pbx, (l: LogLine) => l.obj.callId === c.callId && l.msg === msg, msg, ms);
}

function countFor(c: AppCall, msg: string): number {
  return pbx.log.filter((l) => l.obj.callId === c.callId && l.msg === msg).length;
}

/** Dials 700, enters PIN 4321 and is in the room once the PBX says so. */
async function enter(t: Test, caller: Phone): Promise<AppCall> {
  const c = await callApp(t, caller, '700');
  await press(c, '4321#');
  await loggedFor(c, 'entered the conference');
  return c;
}

async function hangUp(caller: Phone, c: AppCall): Promise<void> {
  const res = await caller.final(caller.inDialog(c.dialog, 'BYE'));
  if (res.status !== 200) throw new Error(`BYE got ${res.status}`);
}

/** 200 ms of silence (the talker detector learns the line's floor), then `seconds` of a tone. */
function speech(hz: number, seconds: number): Int16Array {
  const tone = sine(8000, hz, 6000, Math.round(8000 * seconds));
  const pcm = new Int16Array(1600 + tone.length);
  pcm.set(tone, 1600);
  return pcm;
}

/**
 * Every party sends its tone at once; resolves with what each heard in the last `tailS` seconds
 * (what came before may still carry a join or leave beep).
 */
async function talk(parties: readonly AppCall[], freqs: readonly number[], seconds = 1.4, tailS = 0.8): Promise<Int16Array[]> {
  for (const p of parties) p.ep.clear();
  await Promise.all(parties.map((p, i) => p.ep.send(speech(freqs[i]!, seconds), p.pbxMedia.port)));
  return parties.map((p) => p.ep.tail(Math.round(8000 * tailS)));
}

const HEARD = 0.002;
const SILENT = 1e-4;

/** Resolves once the last 100 ms `c` received carry `hz` (a beep's note); rejects after 3 s. */
function beepAt(c: AppCall, hz: number, what: string): Promise<void> {
  return c.ep.waitFor(() => goertzel(c.ep.tail(800), 8000, hz) > HEARD, 3000, what);
}

t.test('three callers with the PIN each hear the other two and not themselves; one leaves and the other two stay', async (t) => {
  const [alice, bob, carol] = [await phone(t, pbx, '1001'), await phone(t, pbx, '1002'), await phone(t, pbx, '1003')];
  const a = await callApp(t, alice, '700');
  await press(a, '9999#');
  await loggedFor(a, 'wrong conference PIN');
  t.equal(countFor(a, 'entered the conference'), 0, 'a wrong PIN does not enter the room');
  await press(a, '4321#');
  await loggedFor(a, 'entered the conference');
  const b = await enter(t, bob);
  a.ep.clear();
  const c = await enter(t, carol);
  // tones.ts: join is 700 Hz then 1050 Hz, leave 1050 Hz then 700 Hz.
  await beepAt(a, 1050, 'the join beep');
  t.pass('those in the room hear a beep as another caller enters');
  const parties = [a, b, c];
  const freqs = [450, 1300, 2000];
  const heard = await talk(parties, freqs);
  for (const [i, pcm] of heard.entries()) {
    for (const [k, f] of freqs.entries()) {
      const power = goertzel(pcm, 8000, f);
      if (k === i) t.ok(power < SILENT, `caller ${i} does not hear itself (${f} Hz: ${power.toExponential(2)})`);
      else t.ok(power > HEARD, `caller ${i} hears caller ${k} (${f} Hz: ${power.toExponential(2)})`);
    }
  }

  b.ep.clear();
  await hangUp(alice, a);
  await loggedFor(a, 'left the conference');
  await beepAt(b, 700, 'the leave beep');
  t.pass('those who stay hear a beep as a caller leaves');
  const [atB, atC] = await talk([b, c], [freqs[1]!, freqs[2]!]);
  t.ok(goertzel(atB!, 8000, freqs[2]!) > HEARD, 'after the first caller left, the second still hears the third');
  t.ok(goertzel(atC!, 8000, freqs[1]!) > HEARD, 'and the third the second');
  t.ok(goertzel(atB!, 8000, freqs[0]!) < SILENT && goertzel(atC!, 8000, freqs[0]!) < SILENT, 'nobody hears the one who left');
  t.equal(countFor(b, 'left the conference') + countFor(c, 'left the conference'), 0, 'the others are still in the room');

  const row = await cdrFor(pbx, a.callId);
  t.match(row, { status: 'answered', reason: 'caller-bye', path: 'conference:team', to: '700' }, 'a caller who entered the room was answered');
  t.not(row.answered_at, null, 'answered_at is when it entered the room');
  t.ok(Date.parse(row.ended_at!) >= Date.parse(row.answered_at!));

  await press(b, '*6');
  await loggedFor(b, 'mute toggled');
  const [, muted] = await talk([b, c], [freqs[1]!, freqs[2]!]);
  t.ok(goertzel(muted!, 8000, freqs[1]!) < SILENT, '*6: the others no longer hear the caller');
  await hangUp(bob, b);
  await hangUp(carol, c);
  t.match(await cdrFor(pbx, c.callId), { status: 'answered', path: 'conference:team' });
});

t.test('three wrong PINs hear goodbye and are hung up; the CDR is missed (nobody was reached)', async (t) => {
  const dave = await phone(t, pbx, '1004');
  const d = await callApp(t, dave, '700');
  for (let i = 1; i <= 3; i++) {
    await press(d, '1#');
    await loggedBy(pbx, (l) => l.obj.callId === d.callId && l.msg === 'wrong conference PIN' && l.obj.attempt === i, "wrong conference PIN", 15000);
  }
  const bye = await dave.request('BYE');
  dave.reply(bye, 200, '');
  t.equal(countFor(d, 'entered the conference'), 0);
  t.match(await cdrFor(pbx, d.callId), { status: 'missed', reason: 'conference-wrong-pin', answered_at: null, path: 'conference:team' });
});

t.test('a room with max_members 1 turns the second caller away; the first stays', async (t) => {
  const [alice, bob] = [await phone(t, pbx, '1001'), await phone(t, pbx, '1002')];
  const first = await callApp(t, alice, '701');
  await loggedFor(first, 'entered the conference');
  const second = await callApp(t, bob, '701');
  const bye = await bob.request('BYE');
  bob.reply(bye, 200, '');
  t.match(await cdrFor(pbx, second.callId), { status: 'missed', reason: 'conference-full', path: 'conference:small' });
  t.equal(countFor(first, 'left the conference'), 0, 'the first caller is still in the room');
  await hangUp(alice, first);
  t.match(await cdrFor(pbx, first.callId), { status: 'answered', path: 'conference:small' });
});

t.test('a member whose phone stops sending RTP is hung up after rtp.timeout; the others stay', async (t) => {
  const strict = await startPbx({ extra: ROOMS, dialplan: { '701': 'conference:small' }, rtpTimeoutS: 1, compiledWorker: true });
  t.teardown(() => strict.close());
  const [alice, bob] = [await phone(t, strict, '1001'), await phone(t, strict, '1002')];
  const inStrict = (c: AppCall, msg: string): Promise<void> => loggedBy(strict, (l) => l.obj.callId === c.callId && l.msg === msg, msg, 15000);
  const talker = await callApp(t, alice, '700');
  const talking = talker.ep.send(speech(450, 8), talker.pbxMedia.port);
  await press(talker, '4321#');
  await inStrict(talker, 'entered the conference');
  const silent = await callApp(t, bob, '700');
  await press(silent, '4321#');
  await inStrict(silent, 'entered the conference');
  const bye = await bob.request('BYE');
  bob.reply(bye, 200, '');
  t.match(await cdrFor(strict, silent.callId), { status: 'answered', reason: 'rtp-timeout', path: 'conference:team' });
  t.notOk(strict.log.some((l) => l.obj.callId === talker.callId && l.msg === 'left the conference'), 'the member that sends is still in the room');
  await talking;
  await hangUp(alice, talker);
});
