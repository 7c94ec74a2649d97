import t from 'tap';
import { MessageCursor, mainChoice, optionsChoice, pinMatches, summaryPrompts } from '../../src/apps/voicemail-menu.js';

t.test('main menu keys follow VoiceMailMain: 1 listen, 0 options, * help, # exit', async (t) => {
  t.same(['1', '0', '*', '#', '5'].map(mainChoice), ['listen', 'options', 'help', 'exit', 'invalid']);
});

t.test('mailbox options: 1 unavailable, 2 busy, 3 name greeting, * help, # back', async (t) => {
  t.same(['1', '2', '3', '*', '#', '9'].map(optionsChoice), ['unavailable', 'busy', 'name', 'help', 'back', 'invalid']);
});

t.test('at a message: 5 repeats, 6 and # go on, 4 goes back, 0 returns, other keys are invalid', async (t) => {
  const c = new MessageCursor(['a', 'b', 'c']);
  t.equal(c.current, 'a');
  t.same(c.press('4'), { kind: 'no-more' }, 'nothing before the first');
  t.same(c.press('5'), { kind: 'play', index: 0 });
  t.same(c.press('6'), { kind: 'play', index: 1 });
  t.same(c.press('#'), { kind: 'play', index: 2 });
  t.same(c.press('6'), { kind: 'no-more' }, 'nothing after the last; the cursor stays');
  t.equal(c.current, 'c');
  t.same(c.press('4'), { kind: 'play', index: 1 });
  t.same(c.press('*'), { kind: 'help' });
  t.same(c.press('0'), { kind: 'back' });
  t.same(c.press('2'), { kind: 'invalid' });
});

t.test('7 deletes and 9 saves the current message, then the next one plays (Asterisk moves on)', async (t) => {
  const c = new MessageCursor(['a', 'b', 'c']);
  t.same(c.press('7'), { kind: 'delete', index: 0 });
  t.same(c.done(true), { kind: 'play', index: 0 }, 'b moved into the place of a');
  t.equal(c.current, 'b');
  t.same(c.press('9'), { kind: 'save', index: 0 });
  t.same(c.done(false), { kind: 'play', index: 1 }, 'a saved message stays in the list');
  t.equal(c.current, 'c');
  t.same(c.done(true), { kind: 'no-more' }, 'the last one deleted');
  t.equal(c.current, 'b');
  t.equal(c.size, 1);
  t.same(c.done(true), { kind: 'no-more' });
  t.equal(c.current, null);
  t.same(c.press('5'), { kind: 'back' }, 'an empty list goes back to the main menu');
});

t.test('the summary reads new and old counts in the language, or says there are none', async (t) => {
  t.same(summaryPrompts({ new: 0, old: 0 }, 'en'), ['no-messages']);
  t.same(summaryPrompts({ new: 1, old: 0 }, 'en'), ['you-have', 'num-1', 'new-message']);
  t.same(summaryPrompts({ new: 2, old: 1 }, 'en'), ['you-have', 'num-2', 'new-messages', 'and', 'num-1', 'old-message']);
  t.same(summaryPrompts({ new: 0, old: 3 }, 'en'), ['you-have', 'num-3', 'old-messages']);
  t.same(summaryPrompts({ new: 2, old: 5 }, 'ru'), ['you-have', 'num-2', 'new-messages-few', 'and', 'num-5', 'old-messages']);
  t.same(summaryPrompts({ new: 1, old: 0 }, 'th'), ['you-have', 'new-messages', 'num-1', 'messages']);
});

t.test('a PIN opens only with the exact digits; a mailbox without a PIN never opens', async (t) => {
  t.ok(pinMatches('4321', '4321'));
  t.notOk(pinMatches('432', '4321'));
  t.notOk(pinMatches('43210', '4321'));
  t.notOk(pinMatches('4322', '4321'));
  t.notOk(pinMatches('', '4321'));
  t.notOk(pinMatches('', null));
  t.notOk(pinMatches('4321', null));
});
