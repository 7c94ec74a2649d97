// A value typed on the command line (`pbx config set PATH VALUE`, `pbx ext set N KEY=VALUE`),
// read as YAML: a flow collection when it starts with { or [, otherwise a scalar (true, 20, null,
// "quoted"); text YAML would read as something else (`Sales: east`) stays text. A number whose
// YAML value would lose how it is written (0123, +7495..., 1e3) stays text too: PINs and phone
// numbers keep their leading 0 or +.
import { isScalar, parseDocument } from 'yaml';
import { PbxError } from '../../util/errors.js';

export function parseValueText(text: string): unknown {
  const doc = parseDocument(text, { strict: true, logLevel: 'silent' });
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    if (doc.errors.length > 0) throw new PbxError('PBX_ERR_CONFIG_EDIT_VALUE', `cannot read ${text} as YAML: ${doc.errors[0]!.message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
    return doc.toJS() as unknown;
  }
  if (doc.errors.length > 0 || !isScalar(doc.contents)) return text;
  const value = doc.contents.value;
  if (typeof value === 'number' && String(value) !== trimmed) return trimmed;
  return value;
}
