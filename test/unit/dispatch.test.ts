import t from 'tap';
import { dispatchRequest } from '../../src/pbx/dispatch.js';
import { Headers, SipRequest, type SipResponse } from '../../src/sip/message.js';
import type { ServerTransaction } from '../../src/sip/transaction/types.js';

function request(method: string, uri = 'sip:1001@pbx.test', extra: [string, string][] = []): SipRequest {
  const h = new Headers();
  h.add('via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1');
  h.add('max-forwards', '70');
  h.add('from', '<sip:1002@pbx.test>;tag=a');
  h.add('to', '<sip:1001@pbx.test>');
  h.add('call-id', 'c1');
  h.add('cseq', `1 ${method}`);
  for (const [k, v] of extra) h.set(k, v);
  return new SipRequest(method, uri, h);
}

function run(req: SipRequest, callTakes = false): { status: number | null; res: SipResponse | null; registered: boolean; offered: boolean } {
  const out = { status: null as number | null, res: null as SipResponse | null, registered: false, offered: false };
  const st = { request: req, respond: (r: SipResponse) => ((out.res = r), (out.status = r.status)) } as unknown as ServerTransaction;
  dispatchRequest(st, {
    register: () => (out.registered = true),
    call: () => ((out.offered = true), callTakes),
    server: () => 'tspbx-test',
  });
  return out;
}

t.test('REGISTER goes to the registrar, not to call control', async (t) => {
  t.match(run(request('REGISTER')), { registered: true, offered: false, status: null });
});

t.test('INVITE goes to call control, which answers it', async (t) => {
  t.match(run(request('INVITE'), true), { offered: true, status: null });
});

t.test('OPTIONS outside a dialog gets 200 with Allow, Accept and a To tag', async (t) => {
  const r = run(request('OPTIONS'));
  t.equal(r.status, 200);
  t.match(r.res!.headers.get('allow'), /INVITE.*REGISTER/);
  t.equal(r.res!.headers.get('accept'), 'application/sdp');
  t.match(r.res!.headers.get('to'), /;tag=\S+/);
});

t.test('unknown method 501, known but unserved 405 with Allow, SUBSCRIBE and PUBLISH 489, stray CANCEL 481', async (t) => {
  t.equal(run(request('FOO')).status, 501);
  const message = run(request('MESSAGE'));
  t.equal(message.status, 405);
  t.ok(message.res!.headers.get('allow'));
  t.equal(run(request('SUBSCRIBE')).status, 489);
  t.equal(run(request('PUBLISH')).status, 489);
  t.equal(run(request('CANCEL')).status, 481);
});

t.test('a Request-URI scheme other than sip/sips gets 416 before anything else', async (t) => {
  t.match(run(request('INVITE', 'tel:+15551234')), { status: 416, offered: false });
  t.match(run(request('REGISTER', 'http://pbx.test')), { status: 416, registered: false });
});

t.test('Max-Forwards 0 gets 483 for a request to forward, not for REGISTER or OPTIONS', async (t) => {
  t.match(run(request('INVITE', undefined, [['max-forwards', '0']]), true), { status: 483, offered: false });
  t.match(run(request('REGISTER', undefined, [['max-forwards', '0']])), { registered: true });
  t.equal(run(request('OPTIONS', undefined, [['max-forwards', '0']])).status, 200);
});

t.test('SUBSCRIBE goes to the subscription server; one it does not take (no such subscription dialog) goes on to call control', async (t) => {
  const seen: string[] = [];
  const dispatch = (req: SipRequest, takes: boolean): SipResponse | null => {
    let res: SipResponse | null = null;
    const st = { request: req, respond: (r: SipResponse) => (res = r) } as unknown as ServerTransaction;
    dispatchRequest(st, {
      register: () => seen.push('register'),
      call: () => (seen.push('call'), false),
      subscribe: () => (seen.push('subscribe'), takes),
      allowEvents: 'message-summary, dialog',
      server: () => 'tspbx-test',
    });
    return res;
  };
  t.equal(dispatch(request('SUBSCRIBE'), true), null);
  t.same(seen.splice(0), ['subscribe'], 'taken by the subscription server');
  t.equal(dispatch(request('SUBSCRIBE'), false)?.status, 489);
  t.same(seen.splice(0), ['subscribe', 'call'], 'then call control, then the default answer');
  const options = dispatch(request('OPTIONS'), true);
  t.equal(options?.headers.get('allow-events'), 'message-summary, dialog', 'OPTIONS names the packages served');
  t.match(options?.headers.get('allow'), /SUBSCRIBE/);
});
