import t from 'tap';
import { MenuMatcher } from '../../src/apps/ivr-menu.js';

const OPTIONS = { '1': '1001', '2': 'ivr:sales', '#': 'hangup' };
const EXTENSIONS = ['1001', '1002', '2000', '500'];

t.test('a single key with an option chooses it once no extension can grow from it', async (t) => {
  const m = new MenuMatcher(OPTIONS, EXTENSIONS, true);
  t.equal(m.complete('#'), true, '# starts no extension');
  t.same(m.choose('#'), { kind: 'option', key: '#', destination: 'hangup' });
  t.equal(m.complete('1'), false, '1 may be the start of 1001: wait for the next digit');
  t.same(m.choose('1'), { kind: 'option', key: '1', destination: '1001' }, 'after the inter-digit timeout the option wins');
});

t.test('digits that form an extension dial it directly; a prefix that ends early is invalid', async (t) => {
  const m = new MenuMatcher(OPTIONS, EXTENSIONS, true);
  t.equal(m.complete('100'), false);
  t.equal(m.complete('1002'), true);
  t.same(m.choose('1002'), { kind: 'extension', ext: '1002' });
  t.same(m.choose('500'), { kind: 'extension', ext: '500' });
  t.same(m.choose('100'), { kind: 'invalid', digits: '100' });
  t.equal(m.complete('7'), true, 'a key that is neither an option nor the start of an extension is final at once');
  t.same(m.choose('7'), { kind: 'invalid', digits: '7' });
  t.equal(m.maxDigits, 4);
});

t.test('without direct dial only option keys count, each complete at once', async (t) => {
  const m = new MenuMatcher(OPTIONS, EXTENSIONS, false);
  t.equal(m.complete('1'), true);
  t.same(m.choose('1'), { kind: 'option', key: '1', destination: '1001' });
  t.same(m.choose('1002'), { kind: 'invalid', digits: '1002' });
  t.equal(m.maxDigits, 1);
});

t.test('no digit at all is a timeout', async (t) => {
  t.same(new MenuMatcher(OPTIONS, EXTENSIONS, true).choose(''), { kind: 'timeout' });
  t.equal(new MenuMatcher(OPTIONS, EXTENSIONS, true).complete(''), false);
});
