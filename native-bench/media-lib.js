// Test media shared by the media benchmarks (not a benchmark itself: run.js runs *.bench.js only).

/** `seconds` of speech-like audio at rate: a gliding pitch with harmonics and a syllable envelope. */
export function speech(rate, seconds = 1) {
  const pcm = new Int16Array(seconds * rate);
  let phase = 0;
  for (let i = 0; i < pcm.length; i++) {
    const t = i / rate;
    phase += (120 + 40 * Math.sin(2 * Math.PI * 1.5 * t)) / rate;
    let v = 0;
    for (let h = 1; h <= 12; h++) v += Math.sin(2 * Math.PI * h * phase) / h;
    pcm[i] = Math.round(4000 * Math.abs(Math.sin(2 * Math.PI * 2 * t)) * v);
  }
  return pcm;
}

/** `count` RTP packets of a 20 ms G.711 stream (12-byte header, 160-byte payload), version 2. */
export function g711Packets(count) {
  return Array.from({ length: count }, () => {
    const p = new Uint8Array(172);
    p[0] = 0x80;
    return p;
  });
}

/** Stamps packet i of the stream: sequence i, timestamp step * i (160: G.711; 960: Opus). */
export function stampRtp(p, i, step = 160) {
  const seq = i & 0xffff;
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  const ts = (i * step) >>> 0;
  p[4] = ts >>> 24;
  p[5] = (ts >>> 16) & 0xff;
  p[6] = (ts >>> 8) & 0xff;
  p[7] = ts & 0xff;
}
