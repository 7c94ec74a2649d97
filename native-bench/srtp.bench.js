// What SRTP costs the JavaScript relay per G.711 packet (172 bytes): protect (the PBX sending to an
// SRTP phone) and unprotect (receiving from one) with AES_CM_128_HMAC_SHA1_80, against, in the
// same run, the plain relay's copy of a packet into a send buffer (baseline) and the naive
// AES-CTR of one new node:crypto cipher per packet (what src/media/srtp/aes-cm.ts avoids).
// Run: npm run build && node native-bench/srtp.bench.js
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { SrtpContext } from '../dist/media/srtp/context.js';
import { srtpSuite } from '../dist/media/srtp/suites.js';
import { g711Packets, stampRtp } from './media-lib.js';

const N = 100_000;
const packets = g711Packets(64).map((p) => Buffer.from(p.buffer));
const suite = srtpSuite('AES_CM_128_HMAC_SHA1_80');
const master = randomBytes(30);
const out = Buffer.alloc(1514);

function time(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / N;
}

function copy() {
  for (let i = 0; i < N; i++) {
    const p = packets[i & 63];
    stampRtp(p, i);
    out.set(p, 0);
  }
}

let refused = 0;
function protectUnprotect() {
  // New contexts each run: a second run's sequence numbers would be replays to the first's.
  const tx = new SrtpContext(suite, master);
  const rx = new SrtpContext(suite, master);
  for (let i = 0; i < N; i++) {
    const p = packets[i & 63];
    stampRtp(p, i);
    p[8] = 1;
    const n = tx.protectRtp(p, p.length, out);
    if (rx.unprotectRtp(out, n) < 0) refused++;
  }
}

const key = randomBytes(16);
const authKey = randomBytes(20);
const iv = Buffer.alloc(16);
function naive() {
  for (let i = 0; i < N; i++) {
    const p = packets[i & 63];
    stampRtp(p, i);
    iv.writeUInt32BE(i, 10);
    const enc = createCipheriv('aes-128-ctr', key, iv).update(p.subarray(12));
    createHmac('sha1', authKey).update(p.subarray(0, 12)).update(enc).digest();
  }
}

copy();
protectUnprotect();
naive();
const base = time(copy);
const srtp = time(protectUnprotect);
const ctr = time(naive);
console.log(`plain relay copy:                ${base.toFixed(0)} ns/packet`);
console.log(`SRTP protect + unprotect:        ${srtp.toFixed(0)} ns/packet (${(1e9 / srtp / 1000).toFixed(0)}k packet pairs/s, ratio ${(srtp / base).toFixed(1)}x the copy; ${refused} refused)`);
console.log(`naive: new aes-128-ctr + HMAC:   ${ctr.toFixed(0)} ns/packet (one direction; ratio ${(ctr / base).toFixed(1)}x the copy)`);
console.log(`SRTP both directions vs naive one direction: ${(srtp / ctr).toFixed(2)}x`);
