import t from 'tap';
import { configErrors, configOf } from '../helpers/config-text.js';
import { parkingSlots } from '../../src/config/parking.js';
import { compileRouting } from '../../src/config/routing.js';

const BASE = 'http: { token: t }\nextensions:\n  "1001": { password: a }\n';

t.test('parking is off unless configured; its number and slots route to park and retrieve', async (t) => {
  t.equal(configOf(BASE).parking, null);
  const config = configOf(`${BASE}parking: { number: "700", slots: "701-703" }\n`);
  t.same(config.parking, { number: '700', slots: ['701', '702', '703'], timeout: 45, fallback: null }, 'timeout 45 s by default');
  const routing = compileRouting(config);
  t.same(routing.resolve('700'), { kind: 'park' });
  t.same(routing.resolve('702'), { kind: 'parked', slot: '702' });
  t.equal(routing.resolve('704'), null, 'a number past the range is no slot');
});

t.test('parking slots keep the width written and refuse bad ranges', async (t) => {
  t.same(parkingSlots('08-10'), ['08', '09', '10']);
  t.match(parkingSlots('79-71'), /ends before it starts/);
  t.match(parkingSlots('1-500'), /more than 100 slots/);
  t.match(parkingSlots('71'), /a range of numbers/);
});

t.test('a bad parking key is an error at FILE:LINE:COL', async (t) => {
  t.same(configErrors(`${BASE}parking:\n  number: "700"\n  slots: "79-71"\n`), ['pbx.yaml:6:10: parking.slots: the parking range 79-71 ends before it starts']);
  t.same(configErrors(`${BASE}parking: { number: "700", slots: "701-709", timeout: 1 }\n`), ['pbx.yaml:4:54: parking.timeout: must be at least 2 (got 1)']);
  t.same(configErrors(`${BASE}parking: { number: "1001", slots: "701-709" }\n`), ['pbx.yaml:4:20: parking.number: parking number 1001 is also extension 1001']);
  t.same(configErrors(`${BASE}parking: { number: "700", slots: "1000-1002" }\n`), ['pbx.yaml:4:34: parking.slots: parking slots 1000-1002 include extension 1001']);
  t.same(configErrors(`${BASE}parking: { number: "700", slots: "701-709", fallback: "ivr:nope" }\n`).length, 1, 'the fallback must point somewhere');
});
