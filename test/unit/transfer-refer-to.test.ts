import t from 'tap';
import type { Call } from '../../src/calls/call.js';
import type { Leg } from '../../src/calls/leg.js';
import { findReplaced, parseReferTo, parseReplaces, type TransferHost } from '../../src/calls/transfer.js';

t.test('Refer-To names a number, and with ?Replaces= the dialog of an attended transfer (RFC 3891 escaped)', async (t) => {
  t.same(parseReferTo('<sip:1003@pbx.test>'), { number: '1003', replaces: null });
  t.same(parseReferTo('"Carol" <sip:1003@pbx.test;user=phone?Replaces=abc%40host%3Bto-tag%3Dt1%3Bfrom-tag%3Df1>'), {
    number: '1003',
    replaces: { callId: 'abc@host', toTag: 't1', fromTag: 'f1', earlyOnly: false },
  });
  t.equal(parseReferTo('<sip:pbx.test>'), null, 'no number');
  t.equal(parseReferTo('not a uri'), null);
  t.equal(parseReferTo(null), null);
  t.equal(parseReferTo('<sip:1003@pbx.test?Replaces=abc%3Bto-tag%3Dt1>'), null, 'Replaces without from-tag');
});

t.test('a Replaces value needs a Call-ID, to-tag and from-tag; early-only is read', async (t) => {
  t.same(parseReplaces('x@y;from-tag=f;to-tag=t;early-only'), { callId: 'x@y', toTag: 't', fromTag: 'f', earlyOnly: true });
  t.equal(parseReplaces(';to-tag=t;from-tag=f'), null);
  t.equal(parseReplaces('x@y;to-tag=t'), null);
});

t.test('the dialog a Replaces names is found by our tag as to-tag, or the reverse reading', async (t) => {
  const found = { leg: {} as Leg, call: {} as Call };
  const host: TransferHost = {
    dialog: (callId, localTag, remoteTag) => (callId === 'c' && localTag === 'ours' && remoteTag === 'theirs' ? found : null),
    resolve: () => null,
    carry: () => undefined,
  };
  t.equal(findReplaced(host, { callId: 'c', toTag: 'ours', fromTag: 'theirs', earlyOnly: false }), found, 'RFC 3891 3 reading');
  t.equal(findReplaced(host, { callId: 'c', toTag: 'theirs', fromTag: 'ours', earlyOnly: false }), found, 'tags written from the phone view');
  t.equal(findReplaced(host, { callId: 'c', toTag: 'ours', fromTag: 'other', earlyOnly: false }), null, 'a wrong peer tag matches nothing');
});
