import t from 'tap';
import { buildDtmfInfo, isDtmfInfo, parseDtmfInfo } from '../../src/media/dtmf/info.js';

t.test('application/dtmf-relay gives the Signal digit and its Duration', async (t) => {
  t.same(parseDtmfInfo('application/dtmf-relay', Buffer.from('Signal=5\r\nDuration=160\r\n')), { digit: '5', durationMs: 160 });
  t.same(parseDtmfInfo('Application/DTMF-Relay; charset=utf-8', 'signal = # \nduration= 250'), { digit: '#', durationMs: 250 });
  t.same(parseDtmfInfo('application/dtmf-relay', 'Signal=c\r\n'), { digit: 'C', durationMs: null }, 'A-D in either case, Duration optional');
});

t.test('Signal=10 and Signal=11 are * and #', async (t) => {
  t.equal(parseDtmfInfo('application/dtmf-relay', 'Signal=10\r\nDuration=100\r\n')?.digit, '*');
  t.equal(parseDtmfInfo('application/dtmf-relay', 'Signal=11\r\nDuration=100\r\n')?.digit, '#');
});

t.test('application/dtmf gives the one digit of its body', async (t) => {
  t.same(parseDtmfInfo('application/dtmf', '7'), { digit: '7', durationMs: null });
  t.same(parseDtmfInfo('application/dtmf', Buffer.from('*\r\n')), { digit: '*', durationMs: null });
  t.equal(parseDtmfInfo('application/dtmf', '11')?.digit, '#');
});

t.test('malformed or unknown bodies give null', async (t) => {
  const relay = 'application/dtmf-relay';
  for (const body of ['', 'Signal=\r\n', 'Signal=E\r\n', 'Signal=12\r\n', 'Signal=55\r\n', 'Duration=160\r\n', 'Signal=5\r\nDuration=abc\r\n', 'Signal=5\r\nDuration=-1\r\n', 'Signal=5\r\nSignal=6\r\n', 'garbage', 'Signal=5\r\nDuration=99999999\r\n', `Signal=5\r\n${'x=y\r\n'.repeat(100)}`]) {
    t.equal(parseDtmfInfo(relay, body), null, JSON.stringify(body).slice(0, 40));
  }
  for (const body of ['', '55', 'x', '5 6']) t.equal(parseDtmfInfo('application/dtmf', body), null, `application/dtmf ${JSON.stringify(body)}`);
  t.equal(parseDtmfInfo('application/sdp', '5'), null, 'another type');
  t.equal(parseDtmfInfo(undefined, '5'), null, 'no type');
});

t.test('isDtmfInfo knows the two types, parameters and case aside', async (t) => {
  t.ok(isDtmfInfo('application/dtmf-relay'));
  t.ok(isDtmfInfo(' application/DTMF ;x=y'));
  t.notOk(isDtmfInfo('application/media_control+xml'));
  t.notOk(isDtmfInfo(undefined));
});

t.test('built bodies parse back to the same digit', async (t) => {
  const relay = buildDtmfInfo('application/dtmf-relay', '#', 160);
  t.equal(relay.body.toString(), 'Signal=#\r\nDuration=160\r\n');
  t.same(parseDtmfInfo(relay.contentType, relay.body), { digit: '#', durationMs: 160 });
  const plain = buildDtmfInfo('application/dtmf', 'b', 100);
  t.equal(plain.body.toString(), 'B');
  t.same(parseDtmfInfo(plain.contentType, plain.body), { digit: 'B', durationMs: null });
  t.throws(() => buildDtmfInfo('application/dtmf', 'E', 100), { code: 'PBX_ERR_DTMF_DIGIT' });
});
