import t from 'tap';
import { Dialog, dialogKey } from '../../src/sip/dialog.js';
import { Headers, SipRequest, SipResponse, type Peer } from '../../src/sip/message.js';

const peer: Peer = { transport: 'udp', address: '192.0.2.10', port: 5070, connectionId: null };

function invite(extra: Array<[string, string]> = [], uri = 'sip:1002@pbx.test'): SipRequest {
  const h = new Headers()
    .add('Via', 'SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKabc')
    .add('From', '"Alice" <sip:1001@pbx.test>;tag=alice1')
    .add('To', '<sip:1002@pbx.test>')
    .add('Call-ID', 'call-1@192.0.2.10')
    .add('CSeq', '7 INVITE')
    .add('Contact', '<sip:1001@192.0.2.10:5070;transport=udp>');
  for (const [n, v] of extra) h.add(n, v);
  return new SipRequest('INVITE', uri, h);
}

t.test('UAS dialog takes its id, remote CSeq, route set and remote target from the INVITE', async (t) => {
  const req = invite([
    ['Record-Route', '<sip:p1.example;lr>, <sip:p2.example;lr>'],
    ['Record-Route', '<sip:p3.example;lr>'],
  ]);
  const d = Dialog.fromUas(req, 'pbxtag', 200, '<sip:pbx@127.0.0.1:5060>', peer);
  t.equal(d.callId, 'call-1@192.0.2.10');
  t.equal(d.localTag, 'pbxtag');
  t.equal(d.remoteTag, 'alice1');
  t.equal(d.remoteSeq, 7);
  t.equal(d.state, 'confirmed');
  t.same(d.routeSet, ['<sip:p1.example;lr>', '<sip:p2.example;lr>', '<sip:p3.example;lr>']);
  t.equal(d.remoteTarget, 'sip:1001@192.0.2.10:5070;transport=udp');
  t.equal(d.key, dialogKey('call-1@192.0.2.10', 'pbxtag'));
  t.equal(d.secure, false);
});

t.test('a BYE from the UAS side swaps From/To, uses loose routes as Route and the remote target as Request-URI', async (t) => {
  const d = Dialog.fromUas(invite([['Record-Route', '<sip:p1.example;lr>']]), 'pbxtag', 200, '<sip:pbx@127.0.0.1>', peer);
  const bye = d.createRequest('BYE');
  t.equal(bye.method, 'BYE');
  t.equal(bye.uri, 'sip:1001@192.0.2.10:5070;transport=udp');
  t.same(bye.headers.getAll('route'), ['<sip:p1.example;lr>']);
  t.equal(bye.headers.get('from'), '<sip:1002@pbx.test>;tag=pbxtag');
  t.equal(bye.headers.get('to'), '"Alice" <sip:1001@pbx.test>;tag=alice1');
  t.equal(bye.headers.get('cseq'), '1 BYE');
  t.equal(bye.headers.get('call-id'), 'call-1@192.0.2.10');
  t.equal(bye.headers.get('contact'), null, 'BYE is not a target refresh');
  t.equal(d.createRequest('INFO').headers.get('cseq'), '2 INFO', 'local CSeq grows by one per request');
});

t.test('a strict first route becomes the Request-URI and the remote target goes last in Route', async (t) => {
  const d = Dialog.fromUas(
    invite([['Record-Route', '<sip:strict.example;maddr=192.0.2.1>, <sip:p2.example;lr>']]),
    'x',
    200,
    '<sip:pbx@127.0.0.1>',
    peer,
  );
  const bye = d.createRequest('BYE');
  t.equal(bye.uri, 'sip:strict.example;maddr=192.0.2.1');
  t.same(bye.headers.getAll('route'), ['<sip:p2.example;lr>', '<sip:1001@192.0.2.10:5070;transport=udp>']);
});

function uacSide(recordRoute: string[] = []): { req: SipRequest; res: SipResponse } {
  const h = new Headers()
    .add('From', '"Alice" <sip:1001@pbx.test>;tag=pbx-b')
    .add('To', '<sip:1002@pbx.test>')
    .add('Call-ID', 'b-leg@pbx')
    .add('CSeq', '1 INVITE')
    .add('Contact', '<sip:pbx@127.0.0.1:5060>');
  const req = new SipRequest('INVITE', 'sip:1002@192.0.2.20:5080', h);
  const rh = new Headers()
    .add('From', '"Alice" <sip:1001@pbx.test>;tag=pbx-b')
    .add('To', '<sip:1002@pbx.test>;tag=bob9')
    .add('Call-ID', 'b-leg@pbx')
    .add('CSeq', '1 INVITE')
    .add('Contact', '<sip:bob@192.0.2.20:5080>');
  for (const r of recordRoute) rh.add('Record-Route', r);
  return { req, res: new SipResponse(200, 'OK', rh) };
}

t.test('UAC dialog reverses the response Record-Route and targets the Contact', async (t) => {
  const { req, res } = uacSide(['<sip:p2.example;lr>', '<sip:p1.example;lr>']);
  const d = Dialog.fromUac(req, res, peer);
  t.equal(d.localTag, 'pbx-b');
  t.equal(d.remoteTag, 'bob9');
  t.equal(d.localSeq, 1);
  t.equal(d.remoteSeq, null);
  t.same(d.routeSet, ['<sip:p1.example;lr>', '<sip:p2.example;lr>']);
  t.equal(d.remoteTarget, 'sip:bob@192.0.2.20:5080');
  const reinvite = d.createRequest('INVITE', { body: Buffer.from('v=0\r\n') });
  t.equal(reinvite.uri, 'sip:bob@192.0.2.20:5080');
  t.equal(reinvite.headers.get('cseq'), '2 INVITE');
  t.equal(reinvite.headers.get('contact'), '<sip:pbx@127.0.0.1:5060>', 're-INVITE carries our Contact');
  t.equal(reinvite.headers.get('content-type'), 'application/sdp');
  t.equal(reinvite.headers.get('content-length'), '5');
  t.equal(reinvite.headers.get('to'), '<sip:1002@pbx.test>;tag=bob9');
});

t.test('the ACK for a 2xx carries the INVITE CSeq number and does not move the local CSeq', async (t) => {
  const { req, res } = uacSide();
  const d = Dialog.fromUac(req, res, peer);
  const reinvite = d.createRequest('INVITE');
  const ack = d.createAck(2);
  t.equal(ack.method, 'ACK');
  t.equal(ack.headers.get('cseq'), '2 ACK');
  t.equal(ack.uri, reinvite.uri);
  t.equal(d.localSeq, 2);
  t.equal(d.createRequest('BYE').headers.get('cseq'), '3 BYE');
  t.throws(() => d.createRequest('ACK'));
});

t.test('an early dialog from a 180 is confirmed by the 2xx, which sets the route set and target', async (t) => {
  const { req, res } = uacSide();
  const ringing = new SipResponse(180, 'Ringing', res.headers.clone().set('contact', '<sip:early@192.0.2.20>'));
  const d = Dialog.fromUac(req, ringing, peer);
  t.equal(d.state, 'early');
  t.equal(d.remoteTarget, 'sip:early@192.0.2.20');
  res.headers.add('Record-Route', '<sip:p9.example;lr>');
  d.receiveResponse(res, 'INVITE');
  t.equal(d.state, 'confirmed');
  t.equal(d.remoteTarget, 'sip:bob@192.0.2.20:5080');
  t.same(d.routeSet, ['<sip:p9.example;lr>']);
});

t.test('remote CSeq must grow; a lower one is refused; a re-INVITE refreshes the target', async (t) => {
  const d = Dialog.fromUas(invite(), 'pbxtag', 200, '<sip:pbx@127.0.0.1>', peer);
  const reinvite = (seq: number, contact: string): SipRequest => {
    const r = invite([], 'sip:pbx@127.0.0.1');
    r.headers.set('cseq', `${seq} INVITE`).set('contact', contact).set('to', '<sip:1002@pbx.test>;tag=pbxtag');
    return r;
  };
  t.equal(d.receiveRequest(reinvite(8, '<sip:alice@192.0.2.99>')), true);
  t.equal(d.remoteTarget, 'sip:alice@192.0.2.99');
  t.equal(d.remoteSeq, 8);
  t.equal(d.receiveRequest(reinvite(5, '<sip:x@192.0.2.1>')), false, 'lower CSeq is out of order');
  t.equal(d.remoteTarget, 'sip:alice@192.0.2.99', 'a refused request does not refresh the target');
});

t.test('a sips INVITE over TLS makes a secure dialog', async (t) => {
  const d = Dialog.fromUas(invite([], 'sips:1002@pbx.test'), 'x', 180, '<sips:pbx@127.0.0.1>', {
    ...peer,
    transport: 'tls',
  });
  t.equal(d.secure, true);
  t.equal(d.state, 'early');
  d.confirm();
  t.equal(d.state, 'confirmed');
});

t.test('a strict route used as Request-URI loses its method parameter and headers (RFC 3261 19.1.1)', async (t) => {
  const d = Dialog.fromUas(invite([['Record-Route', '<sip:strict.example;method=INVITE?Subject=x>']]), 'x', 200, '<sip:pbx@127.0.0.1>', peer);
  t.equal(d.createRequest('BYE').uri, 'sip:strict.example');
});

t.test('in-dialog requests to the UAS side go to where the caller really is (its source, for NAT)', async (t) => {
  const natted: Peer = { transport: 'udp', address: '203.0.113.5', port: 61000, connectionId: null };
  const d = Dialog.fromUas(invite(), 'x', 200, '<sip:pbx@127.0.0.1>', natted);
  t.same(d.peer, natted);
  t.equal(d.createRequest('BYE').uri, 'sip:1001@192.0.2.10:5070;transport=udp', 'the Request-URI stays the Contact');
});
