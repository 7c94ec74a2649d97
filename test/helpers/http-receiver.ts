// A local HTTP receiver for webhook tests: records each request and answers with given statuses.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver on 127.0.0.1 that answers each request with the next status of `statuses` (then 200). */
export async function receiver(t: Test, statuses: number[] = []): Promise<{ url: string; got: Received[]; next: (n: number) => Promise<void> }> {
  const got: Received[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
      for (const w of waiters.splice(0)) {
        if (got.length >= w.n) w.resolve();
        else waiters.push(w);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const next = (n: number): Promise<void> =>
    got.length >= n
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} requests came`)), 10_000);
          waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
        });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, next };
}

