// The compiled media worker (what `npm run build` makes), for tests that run the engine from
// TypeScript sources: a worker started from .ts would load a TypeScript compiler per thread.
// A dist/ older than src/media is refused so that a test never runs stale code.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** dist/media/worker.js, for MediaEngine.start({ workerUrl }). */
export function compiledMediaWorker(): URL {
  const js = new URL('dist/media/worker.js', root);
  let built = 0;
  try {
    built = statSync(js).mtimeMs;
  } catch {
    throw new Error('dist/media/worker.js is missing: run `npm run build` first');
  }
  if (built < newest(fileURLToPath(new URL('src/media', root)))) {
    throw new Error('dist/media/ is older than src/media/: run `npm run build` first');
  }
  return js;
}
