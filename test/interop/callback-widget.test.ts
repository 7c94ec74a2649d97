// The public callback widget on the real `pbx start`: a page on an allowed origin posts a number;
// the group rings first (1002 answers), then the customer (extension 1003 here) is dialled and the
// two are bridged. Other origins get 403, a bad number 400 naming the field, a number that asks
// too often 429 with Retry-After.
import t from 'tap';
import { Phone, sdpFor } from '../net/helpers/phone.js';
import { EXTENSIONS, PbxProcess, preparePbx, teardown } from './harness.js';

const ORIGIN = 'https://shop.example';
const setup = await preparePbx({
  httpYaml: `  callback: { target: "group:sales", allowed_origins: ["${ORIGIN}"], per_number: 1, number_window: 600, per_ip: 20, ip_window: 60, min_digits: 4, ring_time: 10 }`,
  extraYaml: 'groups:\n  sales: { strategy: simultaneous, members: ["1002"], ring_time: 20 }\n',
  logLevel: 'info',
});
const pbx = await PbxProcess.start(setup, 40_000);
t.teardown(() => teardown(pbx, setup));
const url = `http://127.0.0.1:${setup.httpPort}/api/callback`;

async function phone(user: string): Promise<Phone> {
  const p = await Phone.open(user, EXTENSIONS[user]!.password, { address: '127.0.0.1', port: setup.sipPort });
  t.teardown(() => p.close());
  await p.register();
  return p;
}

function post(body: unknown, origin: string | null = ORIGIN): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(origin === null ? {} : { origin }) }, body: JSON.stringify(body) });
}

t.test('the preflight from an allowed origin is answered with the CORS headers; another origin gets 403', async (t) => {
  const ok = await fetch(url, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
  t.equal(ok.status, 204);
  t.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
  t.match(ok.headers.get('access-control-allow-methods'), /POST/);
  t.match(ok.headers.get('access-control-allow-headers'), /content-type/);
  const bad = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  t.equal(bad.status, 403);
  t.equal(bad.headers.get('access-control-allow-origin'), null);
});

t.test('an allowed origin gets 202: the group member rings first, then the customer, and the call is bridged', async (t) => {
  const agent = await phone('1002');
  const customer = await phone('1003');
  const res = await post({ number: '1003', name: 'Ann' });
  t.equal(res.status, 202);
  t.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
  const started = (await res.json()) as { id: string; status: string; number: string };
  t.match(started, { status: 'ringing', number: '1003' });

  const toAgent = await agent.request('INVITE');
  t.match(toAgent.headers.get('from'), /"Callback Ann" <sip:1003@pbx\.test>/, 'the agent sees who asked');
  t.equal(customer.pending.filter((m) => 'method' in m && m.method === 'INVITE').length, 0, 'the customer is not dialled before an agent answered');
  agent.reply(toAgent, 200, 'agenttag', sdpFor(agent.rtpPort));
  await agent.request('ACK');

  const toCustomer = await customer.request('INVITE');
  t.match(toCustomer.headers.get('from'), /"sales" <sip:sales@pbx\.test>/, 'the customer sees the group');
  customer.reply(toCustomer, 200, 'custtag', sdpFor(customer.rtpPort));
  await customer.request('ACK');
  await pbx.waitForLog((l) => l.msg === 'originated call answered');

  const bye = customer.inDialog(customer.dialogFromUas(toCustomer, 'custtag'), 'BYE');
  const relayed = await agent.request('BYE');
  agent.reply(relayed, 200, '');
  t.equal((await customer.final(bye)).status, 200);
  await agent.register(0);
  await customer.register(0);
});

t.test('the same number again within its window: 429 with Retry-After', async (t) => {
  const res = await post({ number: '1003' });
  t.equal(res.status, 429);
  t.ok(Number(res.headers.get('retry-after')) > 590, `Retry-After ${res.headers.get('retry-after')}`);
  t.equal(res.headers.get('access-control-allow-origin'), ORIGIN, 'the page can read the refusal');
  t.match(await res.json(), { error: 'too_many_requests' });
});

t.test('a bad number is 400 naming the field; a missing one too', async (t) => {
  const letters = await post({ number: '55-CALL-ME' });
  t.equal(letters.status, 400);
  t.match(await letters.json(), { error: 'bad_request', field: 'number', message: /^number: / });
  const missing = await post({ name: 'Ann' });
  t.equal(missing.status, 400);
  t.match(await missing.json(), { message: /number/ });
  t.equal(missing.headers.get('access-control-allow-origin'), ORIGIN);
});

t.test('another origin, or none, gets 403 and nothing is dialled', async (t) => {
  const evil = await post({ number: '5551234' }, 'https://evil.example');
  t.equal(evil.status, 403);
  t.match(await evil.json(), { error: 'forbidden' });
  t.equal((await post({ number: '5551234' }, null)).status, 403);
});

t.test('the widget needs no token, and the rest of the API still does', async (t) => {
  t.equal((await fetch(`http://127.0.0.1:${setup.httpPort}/api/calls`)).status, 401);
});
