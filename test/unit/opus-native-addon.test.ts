// native/opus.c through its N-API surface: every bad argument is a clear error and a corrupt
// packet a negative return, never an abort (which would end the whole PBX); the handle is freed
// by destroy() at once and refused after it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadOpusAddon, OPUS_RESET_STATE, OPUS_SET_BITRATE, type OpusAddon } from '../../src/media/codec/opus-binding.js';
import { sine } from '../helpers/audio.js';

const addon: OpusAddon = loadOpusAddon();
const OPUS_INVALID_PACKET = -4;

t.test('the addon reports the libopus it was linked with', async (t) => {
  t.match(addon.version, /^libopus \d+\.\d+/);
});

t.test('create() takes the five libopus rates and nothing else', async (t) => {
  for (const rate of [8000, 12000, 16000, 24000, 48000]) addon.destroy(addon.create(rate));
  for (const rate of [0, 44100, 16000.5, 96000, Number.NaN]) t.throws(() => addon.create(rate), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, `${rate}`);
  t.throws(() => addon.create('16000' as never), { code: 'PBX_ERR_MEDIA_NATIVE_ARG', name: 'TypeError' });
  t.throws(() => (addon.create as (...a: unknown[]) => object)(), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' });
});

t.test('encode and decode refuse bad arguments with PBX_ERR_MEDIA_NATIVE_ARG', async (t) => {
  const h = addon.create(16000);
  t.teardown(() => addon.destroy(h));
  const pcm = sine(16000, 440, 8000, 320);
  const out = new Uint8Array(1275);
  const packet = out.subarray(0, addon.encode(h, pcm, 320, out));
  const dec = new Int16Array(320);
  const bad: [string, () => unknown][] = [
    ['a handle that is not one', () => addon.encode({}, pcm, 320, out)],
    ['an External from elsewhere: a number', () => addon.encode(7 as never, pcm, 320, out)],
    ['a frame of 319 samples', () => addon.encode(h, pcm, 319, out)],
    ['a frame of 30 ms', () => addon.encode(h, new Int16Array(480), 480, out)],
    ['a frame longer than the PCM', () => addon.encode(h, pcm.subarray(0, 160), 320, out)],
    ['PCM as a Float32Array', () => addon.encode(h, new Float32Array(320) as never, 320, out)],
    ['PCM as a Buffer of bytes', () => addon.encode(h, Buffer.alloc(640) as never, 320, out)],
    ['output as an Int16Array', () => addon.encode(h, pcm, 320, new Int16Array(1275) as never)],
    ['output of 2 bytes', () => addon.encode(h, pcm, 320, new Uint8Array(2))],
    ['missing arguments', () => (addon.encode as (...a: unknown[]) => number)(h, pcm)],
    ['a packet that is a string', () => addon.decode(h, 'x' as never, dec, 320, 0)],
    ['decoded output as bytes', () => addon.decode(h, packet, new Uint8Array(640) as never, 320, 0)],
    ['frameSize beyond the output', () => addon.decode(h, packet, dec, 321, 0)],
    ['frameSize beyond 120 ms', () => addon.decode(h, packet, new Int16Array(4000), 1921, 0)],
    ['fec 2', () => addon.decode(h, packet, dec, 320, 2 as never)],
    ['a concealed frame of 3 ms', () => addon.decode(h, null, dec, 48, 0)],
    ['an FEC frame of 3 ms', () => addon.decode(h, packet, dec, 48, 1)],
    ['a GET request (would read a pointer)', () => addon.encoderCtl(h, 4003, 0)],
    ['an encoder request on the decoder', () => addon.decoderCtl(h, OPUS_SET_BITRATE, 32000)],
    ['a bitrate libopus refuses', () => addon.encoderCtl(h, OPUS_SET_BITRATE, -5)],
  ];
  for (const [what, call] of bad) t.throws(call, { code: 'PBX_ERR_MEDIA_NATIVE_ARG' }, what);
  t.equal(addon.decode(h, packet, dec, 320, 0), 320, 'the codec still works after every refusal');
});

t.test('corrupt packets decode to a negative libopus error or a frame, never a crash', async (t) => {
  const h = addon.create(16000);
  t.teardown(() => addon.destroy(h));
  const out = new Int16Array(1920);
  t.equal(addon.decode(h, new Uint8Array(0), out, 320, 0), OPUS_INVALID_PACKET, 'an empty packet is not a lost one');
  t.equal(addon.decode(h, new Uint8Array(70000), out, 320, 0), OPUS_INVALID_PACKET, 'longer than 120 ms of 1275-byte frames');
  t.ok(addon.decode(h, new Uint8Array([0x0a << 3, 0]), out, 320, 0) < 0, '60 ms does not fit in 20 ms of output');
  let seed = 11;
  const junk = new Uint8Array(400);
  let frames = 0;
  let odd = 0;
  for (let i = 0; i < 2000; i++) {
    for (let j = 0; j < junk.length; j++) junk[j] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const n = addon.decode(h, junk.subarray(0, 1 + (i % 399)), out, 1920, (i & 1) as 0 | 1);
    if (n >= 0) frames++;
    else if (n < -7) odd++; // OPUS_ALLOC_FAIL is -7, the last of libopus' error codes
  }
  t.equal(odd, 0, 'every failure is a libopus error code');
  t.ok(frames > 0, `${frames} of 2000 random packets decoded as some frame`);
});

t.test('null conceals frameSize samples; a reset and destroy() twice are fine; a destroyed handle is refused', async (t) => {
  const h = addon.create(48000);
  const out = new Int16Array(960);
  t.equal(addon.decode(h, null, out, 960, 0), 960);
  t.equal(addon.decode(h, null, out, 480, 0), 480, '10 ms');
  addon.encoderCtl(h, OPUS_RESET_STATE, 0);
  addon.decoderCtl(h, OPUS_RESET_STATE, 0);
  addon.destroy(h);
  addon.destroy(h);
  t.throws(() => addon.encode(h, new Int16Array(960), 960, new Uint8Array(1275)), { code: 'PBX_ERR_MEDIA_CLOSED' });
  t.throws(() => addon.decode(h, null, out, 960, 0), { code: 'PBX_ERR_MEDIA_CLOSED' });
  t.throws(() => addon.destroy({}), { code: 'PBX_ERR_MEDIA_NATIVE_ARG' });
});

t.test('native/build.js never fails the install: without a compiler it says why for each addon and exits 0', async (t) => {
  const script = fileURLToPath(new URL('../../native/build.js', import.meta.url));
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, CC: '/nonexistent/cc' }, timeout: 60_000 });
  t.equal(r.status, 0);
  t.match(r.stdout, /native RTP relay not built \(\/nonexistent\/cc: .*\); media workers will use the node:dgram relay/);
  t.match(r.stdout, /native Opus not built \(\/nonexistent\/cc: .*\); Opus will run on @discordjs\/opus, else opusscript/);
  for (const name of ['relay', 'opus']) {
    t.ok(existsSync(fileURLToPath(new URL(`../../native/build/${name}.node`, import.meta.url))), `the ${name} addon built before is kept`);
  }
});
