import t from 'tap';
import { countPrompts } from '../../src/apps/conference.js';

t.test('a caller entering a room hears how many others are in it, in the grammar of its language', async (t) => {
  t.same(countPrompts(0, 'en'), ['conf-you-are-only-person']);
  t.same(countPrompts(1, 'ru'), ['conf-one-other']);
  t.same(countPrompts(2, 'en'), ['conf-there-are', 'num-2', 'conf-participants']);
  t.same(countPrompts(3, 'ru'), ['conf-there-are', 'num-3', 'conf-participants-few'], 'ru: 2-4 участника');
  t.same(countPrompts(5, 'ru'), ['conf-there-are', 'num-5', 'conf-participants'], 'ru: 5-20 участников');
  t.same(countPrompts(21, 'ru'), ['conf-there-are', 'num-20', 'num-1', 'conf-participant'], 'ru: 21 участник');
  t.same(countPrompts(4, 'th'), ['conf-there-are', 'num-4', 'conf-participants'], 'th: the classifier คน after the number');
});

