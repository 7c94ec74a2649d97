// The CPU cost of one compound RTCP report of a decoded leg (pipeline/rtcp-session.ts): an SR with
// a block about the phone (ReceiveStats.report), the SDES CNAME and the next interval (RFC 3550
// A.7), written into the session's preallocated buffer, and of reading the phone's RR about the
// PBX stream (readCompound, RTT). The socket is a stub, so the figure leaves out the sendto the
// RTP packets pay as well. Baseline in the same run: G.711-encoding one 20 ms frame, which a
// decoded leg does 250 times between two reports.
// Run: npm run build && node native-bench/rtcp-report.bench.js
import { createCodec } from '../dist/media/codec/index.js';
import { RtcpSession } from '../dist/media/pipeline/rtcp-session.js';
import { RtpSender } from '../dist/media/pipeline/rtp-sender.js';
import { Leg } from '../dist/media/relay.js';
import { ntpMiddle, parseRtcp, writeReceiverReport } from '../dist/media/rtcp.js';
import { speech } from './media-lib.js';

const N = 200_000;
let lastBuffer = null;
let lastLength = 0;
const socket = {
  send(buf, offset, length) {
    lastBuffer = buf;
    lastLength = offset + length;
  },
  close() {},
};
const leg = new Leg('L1', 20000, socket, socket);
leg.rtcpSendAddress = '127.0.0.1';
leg.rtcpSendPort = 9;
const sender = new RtpSender();
const session = new RtcpSession(leg, sender, 8000, 5000, 0);

/** One report per call: time jumps 10 s, the PBX and the phone both sent a packet since. */
function reports(n, t0) {
  let now = t0;
  for (let i = 0; i < n; i++) {
    sender.sent(160);
    leg.rtpReceived++;
    leg.receiveSsrc = 0xabc;
    leg.receive.update((1000 + i) & 0xffff, i * 160, now, 8000);
    now += 10_000;
    session.poll(now);
  }
  return now;
}

const codec = createCodec('PCMU', 8000, null);
const pcm = speech(8000, 1).subarray(0, 160);
const out = new Uint8Array(400);
function encodes(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += codec.encode(pcm, out);
  return sum;
}

const rrBuffer = new Uint8Array(64);
let rr = rrBuffer;
function reads(n, now) {
  for (let i = 0; i < n; i++) session.receive(rr, now + i * 0.001);
}

function time(fn, n) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

/** The phone's RR about the PBX stream, echoing the last SR sent. */
function answerLastSr() {
  const latest = parseRtcp(lastBuffer, lastLength)[0];
  const lsr = ntpMiddle(latest.sender.ntpSec, latest.sender.ntpFrac);
  rr = rrBuffer.subarray(0, writeReceiverReport(rrBuffer, 0, 0xabc, [{ ssrc: sender.ssrc, fractionLost: 0, cumulativeLost: 0, extendedMax: 1, jitter: 8, lsr, dlsr: 0 }]));
}

let clock = reports(20_000, 0);
encodes(20_000);
answerLastSr();
reads(20_000, clock);

const base = time(() => encodes(N), N);
const report = time(() => {
  clock = reports(N, clock);
}, N);
answerLastSr();
const read = time(() => reads(N, clock), N);
const types = parseRtcp(lastBuffer, lastLength).map((p) => p.type).join('+');
console.log(`baseline G.711 encode of a 20 ms frame: ${base.toFixed(0)} ns`);
console.log(`one RTCP report (${types}, ${lastLength} octets): ${report.toFixed(0)} ns (ratio ${(report / base).toFixed(2)}x one frame's encode; ${(report / 250).toFixed(1)} ns a tick at one report per 5 s)`);
console.log(`reading the phone's RR (readCompound + RTT): ${read.toFixed(0)} ns (ratio ${(read / base).toFixed(2)}x)`);
if (leg.rttMs < 0) throw new Error('the RR was not read: no RTT');
