import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { compiledMediaWorker } from '../helpers/compiled.js';

// Media runs in worker_threads: every Opus binding must load and work there (the compiled
// modules, as the media worker would load them; needs `npm run build`).

const codecUrl = new URL('codec/opus.js', compiledMediaWorker()).href;

const body = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.url).then((m) => {
  const c = new m.OpusCodec({ binding: workerData.binding });
  const pcm = new Int16Array(960);
  for (let i = 0; i < 960; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48000));
  const packet = new Uint8Array(m.OPUS_MAX_PACKET);
  const out = new Int16Array(960);
  let decoded = 0;
  for (let f = 0; f < 5; f++) decoded += c.decode(packet.subarray(0, c.encode(pcm, packet)), out);
  c.close();
  parentPort.postMessage({ binding: c.binding, decoded });
}, (err) => parentPort.postMessage({ error: String(err) }));
`;

for (const binding of ['native', 'discordjs', 'opusscript']) {
  t.test(`the ${binding} Opus binding loads and codes inside a worker_thread`, async (t) => {
    const w = new Worker(body, { eval: true, workerData: { url: codecUrl, binding } });
    t.teardown(() => w.terminate());
    const [msg] = await Promise.race([
      once(w, 'message'),
      once(w, 'error').then(([e]) => [{ error: String(e) }]),
    ]);
    t.same(msg, { binding, decoded: 5 * 960 });
  });
}
