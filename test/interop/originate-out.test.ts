// Click-to-call and the callback widget to outside numbers, on the real `pbx start` with providers
// simulated by SIPp: POST /api/originate rings the extension first (a UDP phone answers), then the
// number goes out as that extension would dial it: the first trunk answers 503, the next gets the
// INVITE with the number and the extension's caller ID in From and P-Asserted-Identity. A number
// the extension may not call is refused with 403 and the reason, before its phone rings, and the
// CDR records the attempt. The widget's outside number goes out with the caller ID of the group
// member who answered.
import t, { type Test } from 'tap';
import type { CdrRow } from '../../src/store/types.js';
import { Phone, sdpFor } from '../net/helpers/phone.js';
import { EXTENSIONS, freePort, pbxJson, PbxProcess, preparePbx, RtpProbe, startSipp, teardown, TOKEN } from './harness.js';

const ORIGIN = 'https://shop.example';
const downPort = await freePort();
const upPort = await freePort();

const setup = await preparePbx({
  extensions: { ...EXTENSIONS, '1002': { ...EXTENSIONS['1002']!, outbound: '{ caller_id: "+74951110002" }' } },
  httpYaml: `  callback: { target: "group:sales", allowed_origins: ["${ORIGIN}"], per_number: 5, number_window: 60, per_ip: 20, ip_window: 60, ring_time: 10 }`,
  extraYaml: [
    'trunks:',
    `  down: { type: ip, host: 127.0.0.1, port: ${downPort} }`,
    `  up: { type: ip, host: 127.0.0.1, port: ${upPort} }`,
    'outbound:',
    '  - { name: russia, pattern: "+7XXXXXXXXXX", trunks: [down, up], class: national }',
    '  - { name: world, pattern: "810X.", strip: 3, prepend: "+", trunks: [up], class: international }',
    '  - { name: mobile, pattern: "8XXXXXXXXXX", strip: 1, prepend: "+7", trunks: [up], class: national }',
    'groups:',
    '  sales: { strategy: simultaneous, members: ["1003"], ring_time: 20, caller_id: "+74951110100" }',
    '',
  ].join('\n'),
  logLevel: 'info',
});
const pbx = await PbxProcess.start(setup, 40_000);
t.teardown(() => teardown(pbx, setup));
const api = `http://127.0.0.1:${setup.httpPort}/api`;
const PCMA: Array<[number, string]> = [[8, 'PCMA'], [101, 'telephone-event']];

async function phone(t: Test, user: string): Promise<Phone> {
  const p = await Phone.open(user, EXTENSIONS[user]!.password, { address: '127.0.0.1', port: setup.sipPort });
  t.teardown(() => p.close());
  await p.register();
  return p;
}

function originate(from: string, to: string): Promise<Response> {
  return fetch(`${api}/originate?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
}

/** The extension's phone answers the PBX's INVITE, the provider answers the call out; then the phone hangs up. */
async function answerThenHangUp(t: Test, id: string, p: Phone, provider: ReturnType<typeof startSipp>, what: string): Promise<void> {
  const invite = await p.request('INVITE');
  p.reply(invite, 200, 'agenttag', sdpFor(p.rtpPort, PCMA));
  await p.request('ACK');
  await pbx.waitForLog((l) => l.msg === 'originated call answered' && l.originate === id);
  const bye = p.inDialog(p.dialogFromUas(invite, 'agenttag'), 'BYE');
  t.equal((await p.final(bye)).status, 200);
  const r = await provider.done;
  t.equal(r.code, 0, `${what} (number and caller ID checked): ${r.errors}`);
  await p.register(0);
}

async function cdrOf(id: string): Promise<CdrRow | undefined> {
  await pbx.waitForLog((l) => (l.msg === 'originated call ended' || l.msg === 'outside call refused') && l.originate === id);
  for (let i = 0; i < 50; i++) {
    const row = (await pbxJson<CdrRow[]>(setup.file, ['cdr'])).find((r) => r.id === id);
    if (row !== undefined) return row;
  }
  return undefined;
}

t.test('POST /api/originate to an outside number: 1002 rings first, then the number goes out, failing over from a 503 trunk, with 1002’s caller ID', async (t) => {
  const probe = await RtpProbe.open();
  t.teardown(() => probe.close());
  const down = startSipp({ scenario: 'carrier-503.xml', localPort: downPort, timeoutS: 20 });
  const up = startSipp({ scenario: 'carrier-uas.xml', localPort: upPort, set: { rtp_port: probe.port, number: '+74951234567', cid: '+74951110002' }, timeoutS: 20 });
  const agent = await phone(t, '1002');
  const res = await originate('1002', '+74951234567');
  t.equal(res.status, 202);
  const { id } = (await res.json()) as { id: string };
  await answerThenHangUp(t, id, agent, up, 'trunk up');
  const d = await down.done;
  t.equal(d.code, 0, `trunk down: ${d.errors}`);
  await pbx.waitForLog((l) => l.msg === 'trunk failed; trying the next' && l.trunk === 'down' && l.status === 503);
  t.match(await cdrOf(id), { from: '1002', to: '+74951234567', status: 'answered', path: 'originate>outbound:russia' });
});

t.test('a number the extension may not call (international) is 403 with the reason; its phone never rings; the CDR records the attempt', async (t) => {
  const before = pbx.logs.filter((l) => l.msg === 'calling out').length;
  const agent = await phone(t, '1002');
  const res = await originate('1002', '81044207123');
  t.equal(res.status, 403);
  const body = (await res.json()) as { error: string; message: string; refusal: string };
  t.match(body, { error: 'forbidden', refusal: 'class-not-allowed', message: /may not call this kind of number/ });
  const refused = await pbx.waitForLog((l) => l.msg === 'outside call refused' && l.to === '81044207123');
  t.match(refused, { from: '1002', reason: 'class-not-allowed', class: 'international' });
  t.match(await cdrOf(refused.originate as string), { from: '1002', to: '81044207123', status: 'failed', reason: 'class-not-allowed' });
  t.equal(pbx.logs.filter((l) => l.msg === 'calling out').length, before, 'no INVITE went to a provider');
  t.equal(agent.pending.filter((m) => 'method' in m && m.method === 'INVITE').length, 0, '1002 was not rung');
  await agent.register(0);
});

t.test('a number that is no extension and matches no route is 400 about `to`', async (t) => {
  const res = await originate('1002', '555');
  t.equal(res.status, 400);
  t.match(await res.json(), { error: /^to: 555 leads to no extension and no outbound route matches it/ });
});

t.test('the callback widget to an outside number: the group member answers, the number goes out with the caller ID that member presents', async (t) => {
  const probe = await RtpProbe.open();
  t.teardown(() => probe.close());
  const up = startSipp({ scenario: 'carrier-uas.xml', localPort: upPort, set: { rtp_port: probe.port, number: '+79161234567', cid: '+74951110100' }, timeoutS: 20 });
  const agent = await phone(t, '1003');
  const res = await fetch(`${api}/callback`, { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify({ number: '8 916 123-45-67' }) });
  t.equal(res.status, 202);
  const { id } = (await res.json()) as { id: string };
  await answerThenHangUp(t, id, agent, up, 'provider');
  t.match(await cdrOf(id), { from: 'group:sales', to: '89161234567', status: 'answered', path: 'originate>outbound:mobile' });
});

t.test('the widget refuses a number no route matches with 400 naming the field', async (t) => {
  const res = await fetch(`${api}/callback`, { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify({ number: '5551234' }) });
  t.equal(res.status, 400);
  t.match(await res.json(), { field: 'number', message: /no outbound route matches it/ });
});
