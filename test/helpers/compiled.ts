// Loads a module from dist/ (what `npm run build` makes) with the types of its source, and
// refuses a dist/ older than the sources so a test never runs stale code.
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

export async function compiled<T>(path: string): Promise<T> {
  const js = new URL(`dist/${path}`, root);
  const srcDir = fileURLToPath(new URL(`src/${path.slice(0, path.lastIndexOf('/'))}`, root));
  let built = 0;
  try {
    built = statSync(js).mtimeMs;
  } catch {
    throw new Error(`dist/${path} is missing: run \`npm run build\` first`);
  }
  if (built < newest(srcDir)) throw new Error(`dist/${path} is older than src/: run \`npm run build\` first`);
  return (await import(js.href)) as T;
}
