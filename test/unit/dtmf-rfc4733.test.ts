import t from 'tap';
import { DtmfEventReceiver, DtmfEventSender } from '../../src/media/dtmf/rfc4733.js';

function event(code: number, end: boolean, duration: number, volume = 10): Uint8Array {
  return Uint8Array.of(code, (end ? 0x80 : 0) | volume, duration >> 8, duration & 0xff);
}

/** One event as a phone sends it: start, updates, three end packets, all with timestamp `ts`. */
function packets(code: number, ts: number): Array<[Uint8Array, number]> {
  return [
    [event(code, false, 160), ts],
    [event(code, false, 320), ts],
    [event(code, false, 480), ts],
    [event(code, true, 640), ts],
    [event(code, true, 640), ts],
    [event(code, true, 640), ts],
  ];
}

function receive(rx: DtmfEventReceiver, list: Array<[Uint8Array, number]>): string {
  return list.map(([p, ts]) => rx.push(p, ts) ?? '').join('');
}

t.test('one digit per event: start, updates and the three end packets give it once', async (t) => {
  const rx = new DtmfEventReceiver();
  t.equal(receive(rx, packets(5, 1000)), '5');
  t.same({ ...rx.packet }, { event: 5, end: true, volume: 10, duration: 640, timestamp: 1000 });
});

t.test('de-duplicated by timestamp, not by the marker bit: a lost start still gives the digit once', async (t) => {
  const rx = new DtmfEventReceiver();
  t.equal(receive(rx, packets(1, 8000).slice(2)), '1', 'the first packet seen is an update');
  t.equal(receive(rx, packets(1, 8000)), '', 'a retransmitted start of the same event is no new digit');
});

t.test('a new timestamp is a new digit, even for the same key', async (t) => {
  const rx = new DtmfEventReceiver();
  t.equal(receive(rx, [...packets(9, 100), ...packets(9, 2000), ...packets(11, 4000), ...packets(10, 6000)]), '99#*');
});

t.test('late end packets of an earlier event, after the next one began, stay silent', async (t) => {
  const rx = new DtmfEventReceiver();
  t.equal(receive(rx, [[event(2, false, 160), 100], [event(3, false, 160), 1500], [event(2, true, 640), 100], [event(3, true, 640), 1500]]), '23');
});

t.test('events over 15 and short payloads are ignored', async (t) => {
  const rx = new DtmfEventReceiver();
  t.equal(rx.push(event(16, false, 160), 100), null);
  t.equal(rx.push(event(255, true, 160), 200), null);
  t.equal(rx.push(Uint8Array.of(5, 0, 1), 300), null);
  t.equal(rx.push(event(15, false, 160), 400), 'D', 'event 15 is D');
  t.equal(rx.push(event(12, false, 160), 0xffffffff), 'A', 'timestamps at the top of the range work');
});

t.test('a long event going on in a new segment (RFC 4733 2.5.1.3) stays one digit', async (t) => {
  const rx = new DtmfEventReceiver();
  const ts = 0xffff0000;
  t.equal(rx.push(event(4, false, 160), ts), '4');
  t.equal(rx.push(event(4, false, 0xffff), ts), null);
  t.equal(rx.push(event(4, false, 160), (ts + 0xffff) >>> 0), null, 'the next segment, past the wrap');
  t.equal(rx.push(event(4, true, 800), (ts + 0xffff) >>> 0), null);
  t.equal(rx.push(event(4, false, 160), (ts + 0x20000) >>> 0), '4', 'a real new press after the end');
});

t.test('reset forgets the timestamps seen (a new SSRC)', async (t) => {
  const rx = new DtmfEventReceiver();
  t.equal(rx.push(event(7, false, 160), 500), '7');
  rx.reset();
  t.equal(rx.push(event(7, false, 160), 500), '7');
});

/** Runs a sender for `ticks` 20 ms ticks from timestamp `ts0`, collecting what it writes. */
function drive(tx: DtmfEventSender, ticks: number, ts0 = 1000, step = 160) {
  const out = new Uint8Array(4);
  const sent: Array<{ tick: number; ts: number; marker: boolean; event: number; end: boolean; volume: number; duration: number }> = [];
  for (let i = 0; i < ticks; i++) {
    if (tx.next(out, ts0 + i * step) === 4) {
      sent.push({ tick: i, ts: tx.timestamp, marker: tx.marker, event: out[0]!, end: (out[1]! & 0x80) !== 0, volume: out[1]! & 0x3f, duration: (out[2]! << 8) | out[3]! });
    }
  }
  return sent;
}

t.test('a sent digit: marked start, updates every 50 ms on average, three end packets, one timestamp, volume 10', async (t) => {
  const tx = new DtmfEventSender();
  t.ok(tx.send('5', 200));
  const sent = drive(tx, 20);
  t.same(sent.map((s) => s.tick), [0, 3, 5, 8, 9, 10, 11], 'updates at 0, 60, 100, 160 ms; the tone ends with the tick at 180 ms, then two more end packets');
  t.ok(sent[0]!.marker, 'the first packet has the marker');
  t.notOk(sent.slice(1).some((s) => s.marker), 'no other packet has it');
  t.ok(sent.every((s) => s.ts === 1000 && s.event === 5 && s.volume === 10));
  t.same(sent.map((s) => s.end), [false, false, false, false, true, true, true]);
  t.same(sent.map((s) => s.duration), [160, 640, 960, 1440, 1600, 1600, 1600]);
  t.notOk(tx.active, 'done after the third end packet');
});

t.test('with one update per tick every packet goes, and a receiver gets the digit once', async (t) => {
  const tx = new DtmfEventSender({ intervalMs: 20 });
  tx.send('#', 100);
  tx.send('#', 100);
  tx.send('A', 60);
  const rx = new DtmfEventReceiver();
  const sent = drive(tx, 40);
  t.equal(sent.filter((s) => s.ts === 1000).length, 7, '5 ticks of tone (the last is the first end) + 2 more ends');
  t.equal(sent.map((s) => rx.push(Uint8Array.of(s.event, (s.end ? 0x80 : 0) | s.volume, s.duration >> 8, s.duration & 0xff), s.ts) ?? '').join(''), '##A');
  const starts = sent.filter((s) => s.marker).map((s) => s.ts);
  t.same(starts, [1000, 1000 + 9 * 160, 1000 + 18 * 160], 'each event starts two silent ticks after the last end');
});

t.test('release() ends a digit sent live at once', async (t) => {
  const tx = new DtmfEventSender({ intervalMs: 20 });
  tx.send('0', 60_000);
  const first = drive(tx, 3);
  t.equal(first.length, 3);
  tx.release();
  const rest = drive(tx, 5, 1000 + 3 * 160);
  t.same(rest.map((s) => [s.end, s.duration]), [[true, 640], [true, 640], [true, 640]]);

  const queued = new DtmfEventSender({ intervalMs: 20 });
  queued.send('1', 100);
  queued.send('2', 60_000);
  queued.release();
  const both = drive(queued, 30);
  t.same(both.filter((s) => s.end).map((s) => [s.event, s.duration]), [[1, 800], [1, 800], [1, 800], [2, 320], [2, 320], [2, 320]], 'a released digit still queued lasts 40 ms');
});

t.test('durations are raised to 40 ms, capped at one segment; a 48 kHz clock scales the units', async (t) => {
  const short = new DtmfEventSender({ intervalMs: 20 });
  short.send('1', 5);
  t.equal(drive(short, 10).at(-1)!.duration, 320);
  const wide = new DtmfEventSender({ clockRate: 48000, intervalMs: 20 });
  wide.send('1', 100);
  t.equal(drive(wide, 10, 0, 960).at(-1)!.duration, 4800);
  const long = new DtmfEventSender({ clockRate: 48000 });
  long.send('1', 10_000);
  t.ok(drive(long, 200, 0, 960).at(-1)!.duration <= 0xffff);
});

t.test('bad digits and options throw; a full queue refuses', async (t) => {
  const tx = new DtmfEventSender();
  t.throws(() => tx.send('E', 100), { code: 'PBX_ERR_DTMF_DIGIT' });
  t.throws(() => tx.send('1', Number.NaN), { code: 'PBX_ERR_DTMF_DIGIT' });
  t.throws(() => new DtmfEventSender({ volume: 64 }), { code: 'PBX_ERR_DTMF_SENDER' });
  t.throws(() => tx.next(new Uint8Array(3), 0), { code: 'PBX_ERR_DTMF_BUFFER' });
  for (let i = 0; i < 16; i++) t.ok(tx.send('1', 100));
  t.notOk(tx.send('1', 100), 'the 17th waits in no queue');
  tx.reset();
  t.notOk(tx.active);
  t.equal(tx.next(new Uint8Array(4), 0), 0, 'nothing to send after reset');
});
