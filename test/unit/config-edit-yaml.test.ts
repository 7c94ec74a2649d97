import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import { parse } from 'yaml';
import type { PathKey } from '../../src/config/positions.js';
import { parsePath, pathText } from '../../src/config/edit/path.js';
import { parseValueText } from '../../src/config/edit/value.js';
import { YamlText } from '../../src/config/edit/yaml-text.js';
import { throwsPbxError } from '../helpers/pbx-error.js';

const EXAMPLE = readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');

/** `text` after `edit`. */
function edited(text: string, edit: (doc: YamlText) => void): string {
  const doc = new YamlText(text);
  edit(doc);
  return doc.text;
}

t.test('an extension added to the shipped config is one new line; every other byte stays', async (t) => {
  const after = edited(EXAMPLE, (d) => d.set(['extensions', '1004'], { name: 'Dave', password: 'dave-pass' }));
  const line = '  "1004": { name: Dave, password: dave-pass }\n';
  const at = after.indexOf(line);
  t.ok(at > 0, 'the new line is there');
  t.equal(after.slice(0, at) + after.slice(at + line.length), EXAMPLE, 'removing the line gives the original back');
  t.match(after.slice(at - 80, at), /"1003": \{ name: Carol, password: "carol-pass", dtmf_mode: auto \}\n$/, 'after the last extension');
  t.same(parse(after).extensions['1004'], { name: 'Dave', password: 'dave-pass' });
});

t.test('a new entry takes the style of the entry before it: block under block entries', async (t) => {
  const text = 'groups:\n  sales:\n    members: ["1001"]\n    ring_time: 20\n\n# queues below\nqueues: {}\n';
  const after = edited(text, (d) => d.set(['groups', 'support'], { strategy: 'sequential', members: ['1001', '1002'], default: 'voicemail:1001' }));
  t.equal(after, 'groups:\n  sales:\n    members: ["1001"]\n    ring_time: 20\n  support:\n    strategy: sequential\n    members: ["1001", "1002"]\n    default: voicemail:1001\n\n# queues below\nqueues: {}\n');
});

t.test('changing a value keeps its line comment and the rest of the line', async (t) => {
  const after = edited(EXAMPLE, (d) => d.set(['ivr', 'main', 'timeout'], 8));
  t.equal(after, EXAMPLE.replace('    timeout: 5                   # seconds', '    timeout: 8                   # seconds'));
});

t.test('a key missing inside a flow mapping is added to it, and the mappings on the way', async (t) => {
  const after = edited(EXAMPLE, (d) => d.set(['extensions', '1001', 'voicemail', 'pin'], '0123'));
  t.equal(after, EXAMPLE.replace('"1001": { name: Alice, password: "alice-pass" }', '"1001": { name: Alice, password: "alice-pass", voicemail: { pin: "0123" } }'));
  const block = edited('http:\n  token: t\n', (d) => d.set(['sip', 'domain'], 'pbx.test'));
  t.equal(block, 'http:\n  token: t\n\nsip:\n  domain: pbx.test\n', 'a new top-level key: a blank line, then block lines');
});

t.test('an empty value (key:) becomes the value set, inline or as block lines', async (t) => {
  t.equal(edited('a:\n  b:\nc: 1\n', (d) => d.set(['a', 'b'], 5)), 'a:\n  b: 5\nc: 1\n');
  t.equal(edited('a:\n  b:\nc: 1\n', (d) => d.set(['a', 'b', 'x'], { y: [{ z: 1 }] })), 'a:\n  b:\n    x:\n      y:\n        - z: 1\nc: 1\n');
});

t.test('a block value replaced by a scalar, and a scalar by a block mapping', async (t) => {
  const text = 'a:\n  b:\n    x: 1  # gone with x\n    y: 2\n  c: 3\n';
  t.equal(edited(text, (d) => d.set(['a', 'b'], false)), 'a:\n  b: false\n  c: 3\n');
  t.equal(edited(text, (d) => d.set(['a', 'b'], { x: { deep: true } })), 'a:\n  b:\n    x:\n      deep: true\n  c: 3\n');
  t.equal(edited(text, (d) => d.set(['a', 'c'], { k: { v: 1 } })), 'a:\n  b:\n    x: 1  # gone with x\n    y: 2\n  c:\n    k:\n      v: 1\n');
});

t.test('removing an entry removes its lines and the comment lines above it that describe it', async (t) => {
  const after = edited(EXAMPLE, (d) => d.delete(['extensions', '1003']));
  t.notMatch(after, /1003": \{ name: Carol/);
  t.notMatch(after, /dtmf_mode: how Carol's phone/, "Carol's comment went with her");
  t.equal(
    after,
    EXAMPLE.replace(/ {2}# dtmf_mode: how Carol's phone[^\n]*\n[^\n]*\n {2}"1003"[^\n]*\n/, ''),
  );
  const header = 'extensions:\n  # the sales team\n  "1001": { password: a }\n  "1002": { password: b }\n';
  t.equal(edited(header, (d) => d.delete(['extensions', '1001'])), 'extensions:\n  # the sales team\n  "1002": { password: b }\n', 'a comment after the parent key heads the section and stays');
  const gap = 'x:\n  a: 1\n\n  # about b and c\n  b: 2\n  c: 3\n';
  t.equal(edited(gap, (d) => d.delete(['x', 'b'])), 'x:\n  a: 1\n\n  # about b and c\n  c: 3\n', 'a comment after a blank line stays');
});

t.test('removing the only entry leaves an empty mapping or list', async (t) => {
  t.equal(edited('groups:\n  sales:\n    members: [a]\nx: 1\n', (d) => d.delete(['groups', 'sales'])), 'groups: {}\nx: 1\n');
  t.equal(edited('a: { b: 1 }\n', (d) => d.delete(['a', 'b'])), 'a: {}\n');
  t.equal(edited('l:\n  - 1\nx: 1\n', (d) => d.delete(['l', 0])), 'l: []\nx: 1\n');
});

t.test('flow mappings lose an item with its comma, first, middle or last', async (t) => {
  const text = 'e: { a: 1, b: 2,\n     c: 3 }\n';
  t.equal(edited(text, (d) => d.delete(['e', 'a'])), 'e: { b: 2,\n     c: 3 }\n');
  t.equal(edited(text, (d) => d.delete(['e', 'b'])), 'e: { a: 1, c: 3 }\n');
  t.equal(edited(text, (d) => d.delete(['e', 'c'])), 'e: { a: 1, b: 2 }\n');
  t.equal(edited('l: [1, 2, 3]\n', (d) => d.delete(['l', 1])), 'l: [1, 3]\n');
});

t.test('lists: an item appended at the next index, block or flow; a block item removed with its dash', async (t) => {
  t.equal(edited('l: ["a"]\n', (d) => d.set(['l', 1], 'b')), 'l: ["a", b]\n');
  t.equal(edited('l: ["a"]\n', (d) => d.set(parsePath('l.1'), 'b')), 'l: ["a", b]\n', 'a digit key is an index in a list');
  t.equal(edited('l:\n  - a\n  - b  # two\nz: 0\n', (d) => d.set(['l', 2], { x: 1, y: 2 })), 'l:\n  - a\n  - b  # two\n  - x: 1\n    y: 2\nz: 0\n');
  t.equal(edited('l:\n  - a\n  - b  # two\nz: 0\n', (d) => d.delete(['l', 1])), 'l:\n  - a\nz: 0\n');
  t.equal(edited('l:\n  - k: 1\n    m: 2\n  - k: 3\n', (d) => d.delete(['l', 0, 'k'])), 'l:\n  - m: 2\n  - k: 3\n', 'the first key of a list item: the next moves up');
  t.equal(edited('l:\n  - k: 1\n    m: 2\n', (d) => d.set(['l', 0, 'm'], 5)), 'l:\n  - k: 1\n    m: 5\n');
  throwsPbxError(t, () => edited('l: [a]\n', (d) => d.set(['l', 3], 'x')), 'PBX_ERR_CONFIG_EDIT_PATH', /^l\[3\] no such item: the list has 1$/);
});

t.test('paths through a value or an alias are refused; removing what is absent says so', async (t) => {
  throwsPbxError(t, () => edited('a: 1\n', (d) => d.set(['a', 'b'], 2)), 'PBX_ERR_CONFIG_EDIT_PATH', /^a is a value \(1\), not a mapping or a list$/);
  throwsPbxError(t, () => edited('x: &x { a: 1 }\ny: *x\n', (d) => d.set(['y', 'a'], 2)), 'PBX_ERR_CONFIG_EDIT_PATH', /^y is an alias \(\*x\)/);
  throwsPbxError(t, () => edited('a: 1\n', (d) => d.delete(['b'])), 'PBX_ERR_CONFIG_EDIT_MISSING', /^b is not in the config$/);
  throwsPbxError(t, () => new YamlText('a: [1\n'), 'PBX_ERR_CONFIG_EDIT_SYNTAX', /./);
});

t.test('text that YAML would misread is quoted; multi-line text is one double-quoted line', async (t) => {
  const value = { n: '1001', s: '*97', c: 'a, b', k: 'x: y', m: 'two\nlines', e: '', b: 'true' };
  const after = edited('a: 1\n', (d) => d.set(['v'], value));
  t.same(parse(after).v, value);
  t.match(after, /m: "two\\nlines"/);
});

t.test('a CRLF file keeps CRLF line ends', async (t) => {
  const after = edited('a:\r\n  b:\r\n    x: 1\r\n', (d) => d.set(['a', 'c'], { d: { e: 1 } }));
  t.equal(after, 'a:\r\n  b:\r\n    x: 1\r\n  c:\r\n    d:\r\n      e: 1\r\n');
});

t.test('an offset of the edited text maps back to the original text', async (t) => {
  const doc = new YamlText('a: 1\nb: 2\nc: 3\n');
  doc.delete(['b']);
  doc.set(['a'], 100);
  t.equal(doc.text, 'a: 100\nc: 3\n');
  t.equal(doc.originalOffset(doc.text.indexOf('c')), 10, 'c is where it was');
  t.equal(doc.originalOffset(5), 3, 'inside the new value: where the old one started');
  t.equal(doc.originalOffset(0), 0);
});

t.test('get and has read the document as it is now', async (t) => {
  const doc = new YamlText(EXAMPLE);
  t.same(doc.get(['extensions', '1002', 'voicemail']), { pin: '4321' });
  t.equal(doc.get(['sip', 'listen', 1]), 'tcp:127.0.0.1:5060');
  t.equal(doc.get(['nope']), undefined);
  t.ok(doc.has(['dialplan', '*97']));
  doc.delete(['dialplan', '*97']);
  t.notOk(doc.has(['dialplan', '*97']));
});

t.test('paths: dots, [index] and quoted keys, and back', async (t) => {
  t.same(parsePath('extensions.1001.voicemail.pin'), ['extensions', '1001', 'voicemail', 'pin']);
  t.same(parsePath('sip.listen[0]'), ['sip', 'listen', 0]);
  t.same(parsePath('callers.known."+7.495*"'), ['callers', 'known', '+7.495*']);
  t.same(parsePath(''), []);
  t.equal(pathText(['sip', 'listen', 0]), 'sip.listen[0]');
  t.equal(pathText(['callers', 'known', '+7.495*']), 'callers.known."+7.495*"');
  throwsPbxError(t, () => parsePath('a..b'), 'PBX_ERR_CONFIG_EDIT_PATH', /character 3: expected a key/);
  throwsPbxError(t, () => parsePath('a.'), 'PBX_ERR_CONFIG_EDIT_PATH', /ends with a dot/);
  throwsPbxError(t, () => parsePath('a[x]'), 'PBX_ERR_CONFIG_EDIT_PATH', /expected an index/);
});

t.test('command-line values read as YAML; numbers that would lose their 0 or + stay text', async (t) => {
  t.equal(parseValueText('20'), 20);
  t.equal(parseValueText('true'), true);
  t.equal(parseValueText('null'), null);
  t.equal(parseValueText('0123'), '0123');
  t.equal(parseValueText('+74951234567'), '+74951234567');
  t.equal(parseValueText('"20"'), '20');
  t.equal(parseValueText('Sales: east'), 'Sales: east');
  t.equal(parseValueText('Dave Smith'), 'Dave Smith');
  t.same(parseValueText('{ pin: "1234" }'), { pin: '1234' });
  t.same(parseValueText('["1001", 1002]'), ['1001', 1002]);
  throwsPbxError(t, () => parseValueText('{ pin: '), 'PBX_ERR_CONFIG_EDIT_VALUE', /^cannot read \{ pin:  as YAML/);
});

/** Every path in `value`, to scalars and to collections. */
function paths(value: unknown, path: PathKey[] = []): PathKey[][] {
  const self = path.length === 0 ? [] : [path];
  if (typeof value !== 'object' || value === null) return self;
  const items: [PathKey, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return [...self, ...items.flatMap(([k, v]) => paths(v, [...path, k]))];
}

/** What the property test writes: a text for a scalar, block lines for a collection. */
function replacement(old: unknown): unknown {
  return typeof old === 'object' && old !== null ? { k: { v: [1, { w: 'x, y' }] } } : 'changed value, quoted';
}

/** The plain-data twin of an edit: what the file must read as afterwards. */
function model(data: unknown, path: readonly PathKey[], value?: unknown): unknown {
  const copy = structuredClone(data) as Record<PathKey, unknown>;
  const parent = path.slice(0, -1).reduce<Record<PathKey, unknown>>((node, k) => node[k] as Record<PathKey, unknown>, copy);
  const last = path.at(-1)!;
  if (value !== undefined) parent[last] = value;
  else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete parent[last];
  return copy;
}

t.test('every key and item of every example config can be changed and removed, and the file reads as the edit says', async (t) => {
  const dir = new URL('../../examples/', import.meta.url);
  const files = [new URL('../../config.example.yaml', import.meta.url), ...readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => new URL(f, dir))];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const data = parse(text) as unknown;
    const wrong: string[] = [];
    let checked = 0;
    for (const path of paths(data)) {
      const old = path.reduce<unknown>((node, k) => (node as Record<PathKey, unknown>)[k], data);
      if (typeof old === 'object' && old !== null) {
        // a new key or item, once as a scalar and once as block lines
        const added = [...path, Array.isArray(old) ? old.length : 'zz_new'];
        for (const value of ['new', { k: { v: [1] } }]) {
          if (!isDeepStrictEqual(parse(edited(text, (d) => d.set(added, value))), model(data, added, value))) wrong.push(`add ${pathText(added)}`);
        }
      }
      const value = replacement(old);
      if (!isDeepStrictEqual(parse(edited(text, (d) => d.set(path, value))), model(data, path, value))) wrong.push(`set ${pathText(path)}`);
      // the only item of a collection leaves it empty, as the model does
      if (!isDeepStrictEqual(parse(edited(text, (d) => d.delete(path))), model(data, path))) wrong.push(`delete ${pathText(path)}`);
      checked++;
    }
    t.same(wrong, [], `${file.pathname}: the edits read as their model`);
    t.ok(checked > 10, `${file.pathname}: ${checked} paths`);
  }
});
