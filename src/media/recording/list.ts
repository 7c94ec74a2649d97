// The recordings directory (data_dir/recordings/YYYY/MM/DD/*.wav) walked file by file.
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Log } from '../../util/log.js';

/** Paths of the .wav files under `dir`, depth first; a missing dir has none. */
export async function* wavFiles(dir: string, log: Log): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ dir, err }, 'cannot list recordings');
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* wavFiles(path, log);
    else if (e.isFile() && e.name.endsWith('.wav')) yield path;
  }
}
