// The CDR writer's thread: its own connection to the database, so the fsync of each commit
// (synchronous=FULL) waits here and not on the signalling event loop. One message is one batch:
// one transaction for its rows (each with its webhook deliveries), a row that fails its insert fails
// alone.
import { parentPort, workerData } from 'node:worker_threads';
import { Store } from './store.js';
import type { CdrBatch, CdrBatchResult, CdrWorkerData } from './cdr-writer.js';

const port = parentPort!;
const store = Store.open((workerData as CdrWorkerData).dataDir);

port.on('message', (msg: CdrBatch | 'close') => {
  if (msg === 'close') {
    store.close();
    port.close();
    return;
  }
  const errors: Array<string | null> = msg.rows.map(() => null);
  try {
    store.batch(() => {
      for (let i = 0; i < msg.rows.length; i++) {
        try {
          store.insertCdr(msg.rows[i]!, msg.outbox[i] ?? []);
        } catch (err) {
          errors[i] = err instanceof Error ? err.message : String(err);
        }
      }
    });
  } catch (err) {
    errors.fill(err instanceof Error ? err.message : String(err));
  }
  port.postMessage({ seq: msg.seq, errors } satisfies CdrBatchResult);
});
