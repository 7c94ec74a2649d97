import t from 'tap';
import type { Closable } from '../../src/util/close.js';
t.test('ts loads', async (t) => {
  const c: Closable = { close() {} };
  t.equal(typeof c.close, 'function');
});
