import t from 'tap';
import { FRAME_MS, MediaClock } from '../../src/media/pipeline/media-clock.js';
import { FakeClock } from '../helpers/fake-clock.js';

interface Tick {
  now: number;
  due: number;
  skipped: number;
}

/** A media clock on fake time; `during(k)` runs inside tick k (it may jump the time: a stall). */
function clockOn(time: FakeClock, during: (k: number) => void = () => undefined): { clock: MediaClock; ticks: Tick[] } {
  const ticks: Tick[] = [];
  const clock = new MediaClock((now, due, skipped) => {
    ticks.push({ now, due, skipped });
    during(ticks.length - 1);
  }, time);
  return { clock, ticks };
}

/** Whole frames between a tick's due time and the first tick's: an integer while the grid holds. */
const framesFrom = (ticks: Tick[], k: number): number => (ticks[k]!.due - ticks[0]!.due) / FRAME_MS;

t.test('ticks are due on the 20 ms grid from the start instant and run within 1 ms before it, none drifting', async (t) => {
  const time = new FakeClock();
  time.advance(1000.3);
  const { clock, ticks } = clockOn(time);
  clock.start();
  time.advance(10 * FRAME_MS);
  t.equal(ticks.length, 10);
  t.equal(ticks[0]!.due, 1020.3, 'the first is due one frame after start()');
  for (let k = 0; k < ticks.length; k++) {
    t.equal(framesFrom(ticks, k), k, `tick ${k}: ${k} frames after the first`);
    t.ok(ticks[k]!.now >= ticks[k]!.due - 1 && ticks[k]!.now <= ticks[k]!.due, `tick ${k} ran in the millisecond before its due time`);
  }
  t.equal(clock.ticks, 10);
  clock.stop();
});

t.test('a wake-up 70 ms late runs every tick it owes at once, in order, on the grid: none lost', async (t) => {
  const time = new FakeClock();
  const { clock, ticks } = clockOn(time, (k) => {
    if (k === 2) time.jump(70);
  });
  clock.start();
  time.advance(10 * FRAME_MS);
  const stalled = ticks[2]!.now;
  const owed = ticks.slice(3).filter((x) => x.due <= stalled + 70);
  t.equal(owed.length, 3, 'the 3 ticks due during the stall');
  t.ok(owed.every((x) => x.now === stalled + 70), 'ran together as soon as the thread ran again');
  for (let k = 0; k < ticks.length; k++) t.equal(framesFrom(ticks, k), k, `tick ${k} on the grid`);
  t.equal(clock.skipped, 0);
  t.ok(ticks.every((x) => x.skipped === 0), 'no tick told of a skip');
  t.equal(clock.maxLateMs, 49, 'maxLateMs: tick 3 ran 49 ms after its due time');
  clock.stop();
});

t.test('after a stall of more than 5 frames one wake-up runs 5 ticks and skips the rest rather than bursting, keeping the grid', async (t) => {
  const time = new FakeClock();
  const { clock, ticks } = clockOn(time, (k) => {
    if (k === 1) time.jump(205);
  });
  clock.start();
  time.advance(400);
  t.same(
    ticks.slice(0, 9).map((_, k) => framesFrom(ticks, k)),
    [0, 1, 2, 3, 4, 5, 12, 13, 14],
    'the stalled tick and 4 more in one wake-up; the 6 others due during the stall skipped',
  );
  t.equal(clock.skipped, 6);
  t.same(
    ticks.slice(0, 9).map((x) => x.skipped),
    [0, 0, 0, 0, 0, 0, 6, 0, 0],
    'the first tick after the gap is told the 6 skipped (RTP timestamps move on over them)',
  );
  for (let k = 0; k < ticks.length; k++) t.equal(framesFrom(ticks, k) % 1, 0, `tick ${k} on the grid`);
  clock.stop();
});

t.test('stop() inside a tick ends the ticks; start() and stop() twice are safe', async (t) => {
  const time = new FakeClock();
  let count = 0;
  const clock = new MediaClock(() => {
    count++;
    clock.stop();
  }, time);
  clock.start();
  clock.start();
  t.ok(clock.running);
  time.advance(5 * FRAME_MS);
  t.equal(count, 1);
  t.notOk(clock.running);
  t.equal(time.pending, 0, 'no timer left');
  clock.stop();
});

t.test('on the real clock: 10 ticks, each due one frame after the one before plus the frames skipped between them', async (t) => {
  const ticks: { due: number; skipped: number }[] = [];
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const clock = new MediaClock((_now, due, skipped) => {
      ticks.push({ due, skipped });
      if (ticks.length < 10) return;
      clock.stop();
      resolve();
    });
    clock.start();
  });
  t.ok(performance.now() - start >= 10 * FRAME_MS - 1, 'not faster than real time');
  for (let k = 1; k < ticks.length; k++) {
    const frames = (ticks[k]!.due - ticks[k - 1]!.due) / FRAME_MS;
    t.ok(Math.abs(frames - 1 - ticks[k]!.skipped) < 1e-6, `tick ${k}: ${frames.toFixed(3)} frames after tick ${k - 1}, ${ticks[k]!.skipped} skipped`);
  }
});
