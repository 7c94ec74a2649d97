// A MediaEngine for socket tests: on 127.0.0.1, over its own free port range, running the compiled
// worker (see compiled.ts), no RTP timeout; closed when the test ends.
import { MediaEngine, type MediaEngineOptions } from '../../src/media/engine.js';
import { compiledMediaWorker } from './compiled.js';
import { freeRange } from './ports.js';

export async function startTestEngine(
  t: { teardown(fn: () => unknown): void },
  ports: number,
  options: Partial<MediaEngineOptions> = {},
): Promise<MediaEngine> {
  const range = await freeRange(ports);
  const engine = await MediaEngine.start({
    address: '127.0.0.1',
    portMin: range.min,
    portMax: range.max,
    workers: 1,
    rtpTimeoutS: 0,
    workerUrl: compiledMediaWorker(),
    ...options,
  });
  t.teardown(() => engine.close());
  return engine;
}
