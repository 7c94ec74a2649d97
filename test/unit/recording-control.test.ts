import t from 'tap';
import { RECORDING_ERRORS, RecordingControl, type CallRecording, type RecordingMedia } from '../../src/calls/recording-control.js';
import { PbxError } from '../../src/util/errors.js';
import { quietLog } from '../helpers/log.js';

/** A media session that logs what it is asked; record() waits for `release` when one is set. */
function fakeMedia() {
  const calls: string[] = [];
  let release: (() => void) | null = null;
  let hold = false;
  const media: RecordingMedia = {
    async record(path, mode) {
      calls.push(`record ${path} ${mode}`);
      if (hold) await new Promise<void>((r) => (release = r));
      return 'R1';
    },
    async pauseRecord(id, paused) {
      calls.push(`${paused ? 'pause' : 'resume'} ${id}`);
    },
    async stopRecord(id) {
      calls.push(`stop ${id}`);
    },
  };
  return { media, calls, holdRecord: () => (hold = true), release: () => release?.() };
}

function plan(over: Partial<CallRecording> = {}): CallRecording {
  return { path: '/rec/a.wav', mode: 'stereo', fromAnswer: false, toggle: '*1', check: async () => undefined, ...over };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof PbxError ? err.code : String(err);
  }
}

t.test('start opens the file, stop pauses it, a second start resumes the same file, close completes it', async (t) => {
  const { media, calls } = fakeMedia();
  const rec = new RecordingControl(plan(), media, quietLog);
  t.equal(rec.path, null, 'no file before the first start');
  t.equal(await rec.start(), '/rec/a.wav');
  t.ok(rec.active);
  await rec.stop();
  t.notOk(rec.active);
  t.equal(rec.path, '/rec/a.wav', 'the file stays the call recording while paused');
  t.equal(await rec.start(), '/rec/a.wav');
  await rec.close();
  await rec.close();
  t.same(calls, ['record /rec/a.wav stereo', 'pause R1', 'resume R1', 'stop R1'], 'closing twice stops once');
  t.notOk(rec.active);
});

t.test('asking for the state it is in is refused: start while recording, stop while not', async (t) => {
  const { media } = fakeMedia();
  const rec = new RecordingControl(plan(), media, quietLog);
  t.equal(await code(rec.stop()), RECORDING_ERRORS.NOT_ACTIVE, 'nothing to stop before a start');
  await rec.start();
  t.equal(await code(rec.start()), RECORDING_ERRORS.ACTIVE);
  await rec.stop();
  t.equal(await code(rec.stop()), RECORDING_ERRORS.NOT_ACTIVE);
});

t.test('the free-space guard is asked at every start and resume; its refusal changes nothing', async (t) => {
  const { media, calls } = fakeMedia();
  let full = true;
  const check = async (): Promise<void> => {
    if (full) throw new PbxError('PBX_ERR_RECORDING_DISK_FULL', 'less than 500 MB free');
  };
  const rec = new RecordingControl(plan({ check }), media, quietLog);
  t.equal(await code(rec.start()), RECORDING_ERRORS.DISK_FULL);
  t.same(calls, []);
  t.equal(rec.path, null);
  full = false;
  await rec.start();
  await rec.stop();
  full = true;
  t.equal(await code(rec.start()), RECORDING_ERRORS.DISK_FULL, 'a resume is refused too');
  t.same(calls, ['record /rec/a.wav stereo', 'pause R1']);
});

t.test('a start asked for after the call ended is refused, even when queued before the end was known', async (t) => {
  const { media, calls } = fakeMedia();
  const rec = new RecordingControl(plan(), media, quietLog);
  const late = rec.start();
  await rec.close();
  t.equal(await code(late), RECORDING_ERRORS.UNAVAILABLE);
  t.same(calls, []);
  t.equal(rec.path, null);
});

t.test('toggles run in the order they were asked: two quick toggles are a start then a stop', async (t) => {
  const { media, calls } = fakeMedia();
  const rec = new RecordingControl(plan(), media, quietLog);
  const both = await Promise.all([rec.toggleNow(), rec.toggleNow()]);
  t.same(both, [true, false]);
  t.same(calls, ['record /rec/a.wav stereo', 'pause R1']);
});

t.test('a start in flight when the call ends is completed and stopped, and its file kept for the CDR', async (t) => {
  const m = fakeMedia();
  m.holdRecord();
  const rec = new RecordingControl(plan(), m.media, quietLog);
  const started = rec.start();
  await new Promise((r) => setImmediate(r));
  t.same(m.calls, ['record /rec/a.wav stereo'], 'the file is being opened');
  const closed = rec.close();
  m.release();
  t.equal(await started, '/rec/a.wav');
  await closed;
  t.same(m.calls, ['record /rec/a.wav stereo', 'stop R1']);
  t.notOk(rec.active);
  t.equal(rec.path, '/rec/a.wav');
  t.equal(await code(rec.start()), RECORDING_ERRORS.UNAVAILABLE, 'nothing starts after the end');
  t.equal(await code(rec.stop()), RECORDING_ERRORS.UNAVAILABLE);
});

t.test('a recording the engine gave up on is not resumed, nor stopped again at the end', async (t) => {
  const { media, calls } = fakeMedia();
  const rec = new RecordingControl(plan(), media, quietLog);
  await rec.start();
  t.notOk(rec.failed('R9'), 'another id is not this recording');
  t.ok(rec.failed('R1'));
  t.notOk(rec.active);
  t.equal(await code(rec.start()), RECORDING_ERRORS.UNAVAILABLE);
  await rec.close();
  t.same(calls, ['record /rec/a.wav stereo']);
});

t.test('a call without a recording plan cannot be recorded', async (t) => {
  const { media } = fakeMedia();
  const rec = new RecordingControl(null, media, quietLog);
  t.equal(await code(rec.start()), RECORDING_ERRORS.UNAVAILABLE);
  t.notOk(rec.fromAnswer);
});
