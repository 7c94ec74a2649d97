import t from 'tap';
import { statusText } from '../../src/cli/format.js';

const STATUS = { version: '1.0.0', started_at: '2026-01-01T00:00:00.000Z', uptime_s: 61, registrations: 2, calls: 1 };

t.test('pbx status lists each trunk: state, expiry, next attempt, channels and the last error', async (t) => {
  const text = statusText({
    ...STATUS,
    trunks: [
      { name: 'acme', type: 'register', host: 'sip.acme.test:5060', state: 'registered', expires_at: '2026-01-01T01:00:00.000Z', next_attempt_at: null, last_error: null, channels: 1, max_channels: 4 },
      { name: 'old', type: 'register', host: '192.0.2.1:5060', state: 'failed', expires_at: null, next_attempt_at: '2026-01-01T00:01:30.000Z', last_error: '403 Forbidden', channels: 0, max_channels: 0 },
      { name: 'peer', type: 'ip', host: '198.51.100.20:5060', state: 'ip', expires_at: null, next_attempt_at: null, last_error: null, channels: 0, max_channels: 0 },
    ],
  });
  t.match(text, /^version {8}1\.0\.0\n/);
  t.match(text, /\nTRUNK +TYPE +HOST +STATE +EXPIRES \(UTC\) +NEXT ATTEMPT \(UTC\) +CHANNELS +LAST ERROR\n/);
  t.match(text, /\nacme +register +sip\.acme\.test:5060 +registered +2026-01-01 01:00:00 +- +1\/4 +-\n/);
  t.match(text, /\nold +register +192\.0\.2\.1:5060 +failed +- +2026-01-01 00:01:30 +0\/- +403 Forbidden\n/);
  t.match(text, /\npeer +ip +198\.51\.100\.20:5060 +ip +- +- +0\/- +-\n/);
});

t.test('pbx status without trunks is unchanged', async (t) => {
  t.equal(statusText(STATUS), statusText({ ...STATUS, trunks: [] }));
  t.notMatch(statusText(STATUS), /TRUNK/);
});
