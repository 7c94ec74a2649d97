import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { PbxError } from '../../src/util/errors.js';
import { readWav } from '../../src/media/wav.js';
import { rms, zeroCrossingFrequency } from '../helpers/audio.js';
import { throwsPbxError } from '../helpers/pbx-error.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A 1 kHz sine at half scale, 0.25 s, written by sox with the given options. */
function soxSine(dir: string, name: string, options: string[], tone = ['sine', '1000']): string {
  const path = join(dir, name);
  execFileSync('sox', ['-n', ...options, path, 'synth', '0.25', ...tone, 'vol', '0.5']);
  return path;
}

const FORMATS: [string, string[], number][] = [
  ['8-bit unsigned', ['-b', '8', '-e', 'unsigned-integer'], 8000],
  ['16-bit signed', ['-b', '16', '-e', 'signed-integer'], 8000],
  ['24-bit signed (WAVE_FORMAT_EXTENSIBLE)', ['-b', '24', '-e', 'signed-integer'], 16000],
  ['32-bit signed', ['-b', '32', '-e', 'signed-integer'], 16000],
  ['32-bit float', ['-b', '32', '-e', 'floating-point'], 48000],
  ['64-bit float', ['-b', '64', '-e', 'floating-point'], 22050],
  ['A-law', ['-e', 'a-law'], 8000],
  ['u-law', ['-e', 'u-law'], 8000],
  ['16-bit at 44.1 kHz', ['-b', '16', '-e', 'signed-integer'], 44100],
];

t.test('every supported encoding reads as the same 1 kHz half-scale sine', async (t) => {
  const dir = tempDir(t, 'wav');
  for (const [label, options, rate] of FORMATS) {
    const wav = readWav(soxSine(dir, `${rate}-${options.join('')}.wav`, ['-r', String(rate), '-c', '1', ...options]));
    t.equal(wav.sampleRate, rate, `${label}: rate`);
    t.equal(wav.channels, 1, `${label}: channels`);
    t.ok(Math.abs(wav.pcm.length - rate / 4) < 1, `${label}: 0.25 s of samples`);
    t.ok(Math.abs(zeroCrossingFrequency(wav.pcm, rate) - 1000) < 2, `${label}: 1 kHz (${zeroCrossingFrequency(wav.pcm, rate).toFixed(1)})`);
    const level = rms(wav.pcm) / (16384 / Math.SQRT2);
    t.ok(level > 0.95 && level < 1.05, `${label}: half scale (${level.toFixed(3)})`);
  }
});

t.test('stereo is mixed down to mono', async (t) => {
  const dir = tempDir(t, 'wav');
  // left 1 kHz, right silent: the mix is the sine at half its level
  const path = soxSine(dir, 'stereo.wav', ['-r', '8000', '-c', '2', '-b', '16'], ['sine', '1000', 'sine', '1000']);
  const both = readWav(path);
  t.equal(both.channels, 2);
  t.equal(both.pcm.length, 2000);
  t.ok(Math.abs(rms(both.pcm) / (16384 / Math.SQRT2) - 1) < 0.05, 'both channels alike: same level');
  const left = join(dir, 'left.wav');
  execFileSync('sox', [path, left, 'remix', '1', '0']);
  const mixed = readWav(left);
  t.equal(mixed.channels, 2);
  t.ok(Math.abs(rms(mixed.pcm) / (8192 / Math.SQRT2) - 1) < 0.05, 'one silent channel: half the level');
});

/** A valid 16-bit mono WAV built by hand: fmt (plain or extensible), extra chunks, data. */
function buildWav(o: { extensible?: boolean; before?: Buffer[]; after?: Buffer[]; samples?: number[] }): Buffer {
  const samples = Buffer.alloc((o.samples ?? [1000, -1000, 2000]).length * 2);
  (o.samples ?? [1000, -1000, 2000]).forEach((s, i) => samples.writeInt16LE(s, i * 2));
  const fmt = Buffer.alloc(o.extensible === true ? 40 : 16);
  fmt.writeUInt16LE(o.extensible === true ? 0xfffe : 1, 0);
  fmt.writeUInt16LE(1, 2);
  fmt.writeUInt32LE(8000, 4);
  fmt.writeUInt32LE(16000, 8);
  fmt.writeUInt16LE(2, 12);
  fmt.writeUInt16LE(16, 14);
  if (o.extensible === true) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(16, 18);
    fmt.writeUInt32LE(4, 20);
    Buffer.from('0100000000001000800000aa00389b71', 'hex').copy(fmt, 24);
  }
  const body = Buffer.concat([Buffer.from('WAVE'), chunk('fmt ', fmt), ...(o.before ?? []), chunk('data', samples), ...(o.after ?? [])]);
  const header = Buffer.alloc(8);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

function chunk(id: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body, body.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

t.test('LIST, fact and odd-sized chunks before the data are skipped; extensible 16-bit reads', async (t) => {
  const dir = tempDir(t, 'wav');
  const path = join(dir, 'chunks.wav');
  writeFileSync(
    path,
    buildWav({ extensible: true, before: [chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00sox!\x00')), chunk('fact', Buffer.from([3, 0, 0, 0])), chunk('odd ', Buffer.from([1, 2, 3]))], after: [chunk('LIST', Buffer.from('INFO'))] }),
  );
  const wav = readWav(path);
  t.same(Array.from(wav.pcm), [1000, -1000, 2000]);
  t.equal(wav.sampleRate, 8000);
});

t.test('truncated, corrupt and unsupported files are PbxErrors that name the file', async (t) => {
  const dir = tempDir(t, 'wav');
  const good = readFileSync(soxSine(dir, 'good.wav', ['-r', '8000', '-c', '1', '-b', '16']));
  const write = (name: string, bytes: Buffer | string): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const cut = write('cut.wav', good.subarray(0, 1000));
  throwsPbxError(t, () => readWav(cut), 'PBX_ERR_MEDIA_WAV_TRUNCATED', /cut\.wav: truncated: the "data" chunk declares 4000 bytes but only 956 remain/);
  const header = write('header.wav', good.subarray(0, 30));
  throwsPbxError(t, () => readWav(header), 'PBX_ERR_MEDIA_WAV_TRUNCATED', /header\.wav: truncated/);
  const noData = write('nodata.wav', good.subarray(0, 36));
  throwsPbxError(t, () => readWav(noData), 'PBX_ERR_MEDIA_WAV_TRUNCATED', /nodata\.wav: truncated: no data chunk/);
  const text = write('text.wav', 'hello, this is not audio at all');
  throwsPbxError(t, () => readWav(text), 'PBX_ERR_MEDIA_WAV_NOT_WAV', /text\.wav: not a WAV file \(no RIFF\/WAVE header\)/);
  const empty = write('empty.wav', '');
  throwsPbxError(t, () => readWav(empty), 'PBX_ERR_MEDIA_WAV_NOT_WAV', /empty\.wav: not a WAV file \(only 0 bytes\)/);
  throwsPbxError(t, () => readWav(join(dir, 'missing.wav')), 'PBX_ERR_MEDIA_WAV_READ', /missing\.wav: cannot read the WAV file: no such file/);
  throwsPbxError(t, () => readWav(dir), 'PBX_ERR_MEDIA_WAV_READ', /is a directory/);

  const oddData = buildWav({ samples: [1, 2] });
  oddData.writeUInt32LE(3, 40);
  throwsPbxError(t, () => readWav(write('odd.wav', oddData.subarray(0, 47))), 'PBX_ERR_MEDIA_WAV_TRUNCATED', /odd\.wav: truncated: 3 bytes of data is not a whole number of 2-byte sample frames/);
  const badAlign = buildWav({});
  badAlign.writeUInt16LE(4, 32);
  throwsPbxError(t, () => readWav(write('align.wav', badAlign)), 'PBX_ERR_MEDIA_WAV_CORRUPT', /align\.wav: corrupt: block align 4 does not match 1 channel\(s\) of 16 bits/);
  const dataFirst = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), chunk('data', Buffer.alloc(4))]);
  throwsPbxError(t, () => readWav(write('first.wav', dataFirst)), 'PBX_ERR_MEDIA_WAV_CORRUPT', /first\.wav: corrupt: the data chunk comes before the fmt chunk/);
  const shortFmt = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), chunk('fmt ', Buffer.alloc(10))]);
  throwsPbxError(t, () => readWav(write('fmt.wav', shortFmt)), 'PBX_ERR_MEDIA_WAV_CORRUPT', /fmt\.wav: corrupt: fmt chunk of 10 bytes/);
  const oddGuid = buildWav({ extensible: true });
  oddGuid[20 + 24 + 10] = 0x42;
  throwsPbxError(t, () => readWav(write('guid.wav', oddGuid)), 'PBX_ERR_MEDIA_WAV_UNSUPPORTED', /guid\.wav: unsupported WAVE_FORMAT_EXTENSIBLE sub-format/);

  const adpcm = soxSine(dir, 'adpcm.wav', ['-r', '8000', '-e', 'ima-adpcm']);
  throwsPbxError(t, () => readWav(adpcm), 'PBX_ERR_MEDIA_WAV_UNSUPPORTED', /adpcm\.wav: unsupported encoding: IMA ADPCM, 4 bits per sample/);
  const gsm = soxSine(dir, 'gsm.wav', ['-r', '8000', '-e', 'gsm-full-rate']);
  throwsPbxError(t, () => readWav(gsm), 'PBX_ERR_MEDIA_WAV_UNSUPPORTED', /gsm\.wav: unsupported encoding: GSM 6\.10/);
  const quad = soxSine(dir, 'quad.wav', ['-r', '8000', '-c', '4', '-b', '16']);
  throwsPbxError(t, () => readWav(quad), 'PBX_ERR_MEDIA_WAV_UNSUPPORTED', /quad\.wav: unsupported: 4 channels \(mono or stereo only\)/);
  const rf64 = write('rf64.wav', Buffer.concat([Buffer.from('RF64'), good.subarray(4)]));
  throwsPbxError(t, () => readWav(rf64), 'PBX_ERR_MEDIA_WAV_UNSUPPORTED', /rf64\.wav: RF64/);
});

t.test('random corruption of a valid file never throws anything but a PbxError', async (t) => {
  const dir = tempDir(t, 'wav');
  const good = readFileSync(soxSine(dir, 'good.wav', ['-r', '8000', '-c', '2', '-b', '24']));
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const path = join(dir, 'fuzz.wav');
  let refused = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = Buffer.from(i % 2 === 0 ? good : good.subarray(0, 100 + random(good.length - 100)));
    for (let m = 1 + random(4); m > 0; m--) bytes[random(80)] = random(256);
    writeFileSync(path, bytes);
    try {
      readWav(path);
    } catch (err) {
      if (!(err instanceof PbxError) || !err.message.startsWith(path)) t.fail(`unexpected error ${String(err)}`);
      refused++;
    }
  }
  t.ok(refused > 0 && refused < 300, `${refused} of 300 refused`);
});
