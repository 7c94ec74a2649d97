// Recording by config, end to end over real UDP on 127.0.0.1: a call to an extension with
// `record: true` is written to a stereo WAV under data_dir/recordings (the caller left, the callee
// right) whose path is in the CDR; a call between extensions without it is not recorded.
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { answeredCall, cdrFor, hangUp, phone } from './helpers/flows.js';
import { sdpMedia } from './helpers/phone.js';
import { startPbx, type TestPbx } from './helpers/pbx.js';

let pbx: TestPbx;

t.before(async () => {
  pbx = await startPbx({ recorded: ['1002'] });
});

t.teardown(() => pbx.close());

/** The channels of a 16-bit stereo WAV (its data chunk found by walking the RIFF chunks). */
function stereoChannels(path: string): { rate: number; left: Int16Array; right: Int16Array } {
  const b = readFileSync(path);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV');
  let rate = 0;
  for (let o = 12; o + 8 <= b.length; ) {
    const id = b.toString('ascii', o, o + 4);
    const size = b.readUInt32LE(o + 4);
    if (id === 'fmt ') {
      if (b.readUInt16LE(o + 10) !== 2 || b.readUInt16LE(o + 22) !== 16) throw new Error('not 16-bit stereo');
      rate = b.readUInt32LE(o + 12);
    }
    if (id === 'data') {
      const frames = Math.floor(Math.min(size, b.length - o - 8) / 4);
      const left = new Int16Array(frames);
      const right = new Int16Array(frames);
      for (let i = 0; i < frames; i++) {
        left[i] = b.readInt16LE(o + 8 + 4 * i);
        right[i] = b.readInt16LE(o + 10 + 4 * i);
      }
      return { rate, left, right };
    }
    o += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}

function mean(a: Int16Array): number {
  let s = 0;
  for (const v of a) s += v;
  return a.length === 0 ? 0 : s / a.length;
}

/** Sends `count` packets from each phone, one every 20 ms as phones do. */
async function talk(send: (seq: number) => void, count: number): Promise<void> {
  for (let seq = 0; seq < count; seq++) {
    send(seq);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

t.test('a call to an extension with record: true is a stereo WAV, caller left and callee right, named in the CDR', async (t) => {
  const alice = await phone(t, pbx, '1001');
  const bob = await phone(t, pbx, '1002');
  const call = await answeredCall(alice, bob);
  const toAlice = sdpMedia(call.ok.body);
  const toBob = sdpMedia(call.calleeInvite.body);
  // u-law 0x00 is the most negative level, 0x80 the most positive: each side is told apart by sign.
  const loudNegative = Buffer.alloc(160, 0x00);
  const loudPositive = Buffer.alloc(160, 0x80);
  await talk((seq) => {
    alice.sendRtp(toAlice, 0, seq, loudNegative);
    bob.sendRtp(toBob, 0, seq, loudPositive);
  }, 60);
  await bob.waitRtp(40);
  await alice.waitRtp(40);

  await hangUp(alice, call.callerDialog, bob);
  const cdr = await cdrFor(pbx, call.callerDialog.callId);
  t.equal(cdr.status, 'answered');
  t.type(cdr.recording, 'string', 'the CDR names the recording');
  const path = cdr.recording as string;
  t.match(path, /recordings\/\d{4}\/\d\d\/\d\d\/\d{6}_1001_1002_[0-9a-f]{8}\.wav$/);
  t.ok(existsSync(path), 'the file exists');
  const { rate, left, right } = stereoChannels(path);
  t.equal(rate, 16000);
  t.ok(left.length >= 16000 * 0.5, `at least half a second recorded (${(left.length / 16000).toFixed(2)} s)`);
  t.ok(mean(left) < -10000, `the caller (left) is the negative level (mean ${mean(left).toFixed(0)})`);
  t.ok(mean(right) > 10000, `the callee (right) is the positive level (mean ${mean(right).toFixed(0)})`);
  t.ok(pbx.log.some((l) => l.msg === 'recording the call'), 'the recording is logged with the call');
});

t.test('a call between extensions without record: true is not recorded', async (t) => {
  const carol = await phone(t, pbx, '1003');
  const dave = await phone(t, pbx, '1004');
  const call = await answeredCall(carol, dave);
  await hangUp(carol, call.callerDialog, dave);
  const cdr = await cdrFor(pbx, call.callerDialog.callId);
  t.equal(cdr.status, 'answered');
  t.equal(cdr.recording, null);
});
