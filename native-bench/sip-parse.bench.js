// SIP parse + serialize of a typical INVITE with SDP: messages/s through tspbx's parser, and the
// same datagram through the grammar-based parser of the sip.js npm package in the same process.
// Run: npm run build && node native-bench/sip-parse.bench.js
import { parseMessage } from '../dist/sip/parser.js';
import { serialize } from '../dist/sip/serializer.js';
import { Parser } from 'sip.js/lib/core/messages/parser.js';

const sdp = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.101',
  's=-',
  'c=IN IP4 192.0.2.101',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

const invite = Buffer.from(
  [
    'INVITE sip:1002@pbx.test SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK776asdhds;rport',
    'Max-Forwards: 70',
    'To: "Bob" <sip:1002@pbx.test>',
    'From: "Alice" <sip:1001@pbx.test>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:1001@192.0.2.101:5060;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"',
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY',
    'Supported: replaces, timer',
    'User-Agent: Example Softphone 1.2.3',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n'),
);

const logger = { error() {}, warn() {}, log() {}, debug() {} };

function ours() {
  const r = parseMessage(invite);
  if (!r.ok) throw new Error(r.reason);
  return serialize(r.message).length;
}

function oursParseOnly() {
  const r = parseMessage(invite);
  if (!r.ok) throw new Error(r.reason);
  return r.message.headers.size;
}

function sipjs() {
  const m = Parser.parseMessage(invite.toString(), logger);
  if (m === undefined) throw new Error('sip.js refused the INVITE');
  return m.headers.Via.length;
}

// Runs fn for about `ms` milliseconds; returns calls per second.
function rate(fn, ms) {
  let sink = 0;
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 500; i++) sink += fn();
    n += 500;
    now = process.hrtime.bigint();
  }
  if (sink === 0) throw new Error('nothing measured');
  return (n * 1e9) / Number(now - start);
}

for (const fn of [ours, oursParseOnly, sipjs]) rate(fn, 300);
const best = { ours: 0, oursParseOnly: 0, sipjs: 0 };
for (let round = 0; round < 3; round++) {
  best.ours = Math.max(best.ours, rate(ours, 700));
  best.oursParseOnly = Math.max(best.oursParseOnly, rate(oursParseOnly, 700));
  best.sipjs = Math.max(best.sipjs, rate(sipjs, 700));
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');
console.log(`INVITE with SDP, ${invite.length} bytes, best of 3 rounds`);
console.log(`tspbx parse+serialize : ${fmt(best.ours)} msgs/s`);
console.log(`tspbx parse only      : ${fmt(best.oursParseOnly)} msgs/s`);
console.log(`sip.js parse (grammar): ${fmt(best.sipjs)} msgs/s`);
console.log(`ratio parse+serialize / sip.js parse: ${(best.ours / best.sipjs).toFixed(1)}x (goal >= 10x)`);
console.log(`ratio parse only      / sip.js parse: ${(best.oursParseOnly / best.sipjs).toFixed(1)}x`);
