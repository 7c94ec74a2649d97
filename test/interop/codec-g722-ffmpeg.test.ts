import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createCodec } from '../../src/media/codec/index.js';
import { espeakSpeech, hasTool, readRawS16, snrDb, speechLike } from '../helpers/audio.js';
import { tempDir } from '../helpers/temp-dir.js';

// Our G.722 against Debian's ffmpeg (libavcodec adpcm_g722, raw .g722 files at 16 kHz).

const missing = ['ffmpeg'].filter((x) => !hasTool(x));
if (missing.length > 0) {
  t.comment(`skipped: ${missing.join(', ')} not installed (apt-get install ffmpeg espeak-ng sox)`);
  t.pass('skipped without ffmpeg');
} else {
  const dir = tempDir(t, 'g722');
  const speech =
    espeakSpeech(dir, 16000, 'Please hold while your call is transferred to the next available operator.') ??
    speechLike(16000, 3);
  const pcm = speech.subarray(0, speech.length - (speech.length % 320));
  const ffmpeg = (args: string[]): void => {
    const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
    if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
  };
  const pcmPath = join(dir, 'in.raw');
  writeFileSync(pcmPath, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));

  const encodeOurs = (): Uint8Array => {
    const c = createCodec('G722', 8000)!;
    const out = new Uint8Array(pcm.length / 2);
    for (let f = 0; f < pcm.length; f += 320) c.encode(pcm.subarray(f, f + 320), out.subarray(f / 2, f / 2 + 160));
    return out;
  };
  const differences = (a: Int16Array | Uint8Array, b: Int16Array | Uint8Array): number => {
    let n = Math.abs(a.length - b.length);
    for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) n++;
    return n;
  };
  const decodeOurs = (g722: Uint8Array): Int16Array => {
    const c = createCodec('G722', 8000)!;
    const out = new Int16Array(g722.length * 2);
    for (let f = 0; f < g722.length; f += 160) c.decode(g722.subarray(f, f + 160), out.subarray(2 * f, 2 * f + 320));
    return out;
  };

  t.test('ffmpeg decodes our G.722 to the same audio as our decoder, SNR above 20 dB', async (t) => {
    const ours = encodeOurs();
    writeFileSync(join(dir, 'ours.g722'), ours);
    ffmpeg(['-f', 'g722', '-i', join(dir, 'ours.g722'), '-f', 's16le', '-c:a', 'pcm_s16le', join(dir, 'ours.raw')]);
    const theirs = readRawS16(join(dir, 'ours.raw'));
    t.equal(differences(theirs, decodeOurs(ours)), 0, 'bit-exact decode');
    const snr = snrDb(pcm, theirs, 22);
    t.comment(`speech through our encoder and ffmpeg's decoder: SNR ${snr.toFixed(1)} dB`);
    t.ok(snr > 20, `SNR ${snr.toFixed(1)} dB`);
  });

  t.test("our decoder reads ffmpeg's G.722 and our encoder codes the same octets as ffmpeg", async (t) => {
    ffmpeg(['-f', 's16le', '-ar', '16000', '-ac', '1', '-i', pcmPath, '-c:a', 'g722', '-f', 'g722', join(dir, 'ff.g722')]);
    const ff = new Uint8Array(readFileSync(join(dir, 'ff.g722')));
    t.equal(differences(encodeOurs(), ff), 0, 'bit-exact encode');
    const snr = snrDb(pcm, decodeOurs(ff), 22);
    t.comment(`speech through ffmpeg's encoder and our decoder: SNR ${snr.toFixed(1)} dB`);
    t.ok(snr > 20, `SNR ${snr.toFixed(1)} dB`);
  });
}
