import t from 'tap';
import { FEATURE_DIGIT_TIMEOUT_MS, FeatureCodes } from '../../src/calls/feature-codes.js';
import { FakeClock } from '../helpers/fake-clock.js';

function codes(clock: FakeClock, map: Record<string, string> = { '*1': 'record_toggle' }): FeatureCodes<string> {
  return new FeatureCodes(new Map(Object.entries(map)), () => clock.now());
}

t.test('*1 pressed by one side completes the code on its last digit, then starts over', async (t) => {
  const clock = new FakeClock();
  const f = codes(clock);
  t.equal(f.press('caller', '*'), null);
  t.equal(f.press('caller', '1'), 'record_toggle');
  t.equal(f.press('caller', '1'), null, 'the code is not matched again by its tail');
  t.equal(f.press('caller', '*'), null);
  t.equal(f.press('caller', '1'), 'record_toggle');
});

t.test('each side has its own digits: * from one and 1 from the other is no code', async (t) => {
  const clock = new FakeClock();
  const f = codes(clock);
  t.equal(f.press('caller', '*'), null);
  t.equal(f.press('callee', '1'), null);
  t.equal(f.press('callee', '*'), null);
  t.equal(f.press('callee', '1'), 'record_toggle', 'the callee may press it too');
});

t.test('a pause longer than the inter-digit timeout starts over', async (t) => {
  const clock = new FakeClock();
  const f = codes(clock);
  f.press('caller', '*');
  clock.advance(FEATURE_DIGIT_TIMEOUT_MS + 1);
  t.equal(f.press('caller', '1'), null);
  f.press('caller', '*');
  clock.advance(FEATURE_DIGIT_TIMEOUT_MS);
  t.equal(f.press('caller', '1'), 'record_toggle', 'exactly the timeout still counts');
});

t.test('digits that cannot continue a code leave the longest tail that can: **1 and 5*1 still match', async (t) => {
  const clock = new FakeClock();
  const f = codes(clock, { '*1': 'record_toggle', '##5': 'other' });
  t.same(['*', '*', '1'].map((d) => f.press('caller', d)), [null, null, 'record_toggle']);
  t.same(['5', '*', '1'].map((d) => f.press('caller', d)), [null, null, 'record_toggle']);
  t.same(['#', '#', '#', '5'].map((d) => f.press('caller', d)), [null, null, null, 'other']);
  t.same(['a', 'b'].map((d) => f.press('callee', d)), [null, null], 'letters are upper-cased and match nothing here');
});
