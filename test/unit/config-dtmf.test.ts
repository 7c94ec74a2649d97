import { join } from 'node:path';
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { tempDir } from '../helpers/temp-dir.js';

const BASE = 'http: { token: t }\nextensions:\n  "1001": { password: a }\n  "1002": { password: b, dtmf_mode: MODE }\n';

function parse(t: Parameters<typeof tempDir>[0], mode: string): ReturnType<typeof parseConfigText> {
  const file = join(tempDir(t, 'config-dtmf'), 'pbx.yaml');
  return parseConfigText(BASE.replace('MODE', mode), file);
}

t.test('dtmf_mode is auto unless an extension says rfc4733, info or inband; rfc2833 is read as rfc4733', async (t) => {
  for (const [given, mode] of [
    ['auto', 'auto'],
    ['rfc4733', 'rfc4733'],
    ['rfc2833', 'rfc4733'],
    ['info', 'info'],
    ['inband', 'inband'],
  ] as const) {
    const r = parse(t, given);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    t.equal(r.config.extensions.get('1002')!.dtmf_mode, mode, given);
    t.equal(r.config.extensions.get('1001')!.dtmf_mode, 'auto', 'the default');
  }
});

t.test('a dtmf_mode that is none of them is an error at its FILE:LINE:COL', async (t) => {
  const r = parse(t, 'sip-info');
  t.notOk(r.ok);
  const lines = r.ok ? [] : r.errors.map((e) => e.replace(/^.*pbx\.yaml/, 'pbx.yaml'));
  t.same(lines, ['pbx.yaml:4:37: extensions.1002.dtmf_mode: must be one of auto, rfc4733, info, inband (got "sip-info")']);
});
