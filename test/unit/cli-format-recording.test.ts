import t from 'tap';
import { callsText, recordingText } from '../../src/cli/format.js';

const CALL = { id: 'c1', call_id: 'x@y', from: '1001', to: '1002', state: 'answered' as const, started_at: '2026-01-01T00:00:01.000Z', answered_at: '2026-01-01T00:00:03.000Z', duration_s: 65, recording: false };

t.test('pbx calls shows in a REC column whether each call is being recorded', async (t) => {
  t.equal(
    callsText([CALL, { ...CALL, id: 'c2', recording: true }]),
    'ID  FROM  TO    STATE     STARTED (UTC)        DURATION  REC\n' +
      'c1  1001  1002  answered  2026-01-01 00:00:01  1:05      -\n' +
      'c2  1001  1002  answered  2026-01-01 00:00:01  1:05      yes\n',
  );
});

t.test('pbx record says what it did and where the file is', async (t) => {
  t.equal(recordingText({ id: 'c1', call_id: 'x@y', recording: true, path: '/d/r.wav' }), 'recording call c1 to /d/r.wav\n');
  t.equal(recordingText({ id: 'c1', call_id: 'x@y', recording: false, path: '/d/r.wav' }), 'recording of call c1 stopped (/d/r.wav)\n');
});
