// Fuzzing the parser and the stream framer with seeded mutations of the torture corpus: no input
// makes them throw, what parses survives serialize -> parse, and the heap stays bounded.
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseMessage } from '../../src/sip/parser.js';
import { serialize } from '../../src/sip/serializer.js';
import { StreamFramer } from '../../src/sip/framer.js';
import { RFC4475, RFC5118 } from '../fixtures/sip-torture.js';

const ITERATIONS = 20_000;
const TIME_LIMIT_MS = 60_000;
const HEAP_GROWTH_LIMIT = 32 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// mulberry32: a small seeded PRNG so that a failure can be replayed.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const corpus = [...RFC4475, ...RFC5118].map((c) => c.bytes);
const TOKENS = [
  '\r\n', '\r\n ', '\r\n\r\n', ':', ';', ',', '"', '<', '>', '\\', '%', '%0', '[', ']', '[::1]', '@', ' ', '\t', '\0', '\r', '\n',
  '=', '\xff', '\u00e9', 'SIP/2.0', 'SIP/3.0', 'Content-Length: 99999\r\n', 'l: 3\r\n', 'l: -1\r\n', 'Via: \r\n', 'To: <sip:a@b\r\n',
  'CSeq: 1 BYE\r\n', 'Call-ID: x\r\n', ';tag=', '?h=v', 'sips:', 'tel:+1', '99999999999999999999',
].map((s) => Buffer.from(s, s === '\xff' ? 'latin1' : 'utf8'));

function mutate(rand: () => number, input: Buffer): Buffer {
  let buf = input;
  const count = 1 + Math.floor(rand() * 4);
  for (let m = 0; m < count; m++) {
    const at = Math.floor(rand() * (buf.length + 1));
    switch (Math.floor(rand() * 6)) {
      case 0: {
        if (buf.length === 0) break;
        buf = Buffer.from(buf);
        buf[Math.min(at, buf.length - 1)] = Math.floor(rand() * 256);
        break;
      }
      case 1:
        buf = Buffer.concat([buf.subarray(0, at), TOKENS[Math.floor(rand() * TOKENS.length)]!, buf.subarray(at)]);
        break;
      case 2: {
        const end = Math.min(buf.length, at + Math.floor(rand() * 40));
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(end)]);
        break;
      }
      case 3: {
        const end = Math.min(buf.length, at + Math.floor(rand() * 200));
        buf = Buffer.concat([buf.subarray(0, end), buf.subarray(at, end), buf.subarray(end)]);
        break;
      }
      case 4:
        buf = buf.subarray(0, at);
        break;
      default: {
        const other = corpus[Math.floor(rand() * corpus.length)]!;
        buf = Buffer.concat([buf.subarray(0, at), other.subarray(Math.floor(rand() * other.length))]);
      }
    }
  }
  return buf;
}

function headerList(m: { headers: { entries(): IterableIterator<[string, string]> } }): string {
  return JSON.stringify([...m.headers.entries()].filter(([k]) => k !== 'content-length'));
}

t.test(`${ITERATIONS} mutated messages: no exception escapes, parsed ones round-trip, heap stays bounded`, async (t) => {
  const rand = prng(0x5eed);
  const started = Date.now();
  let thrown = 0;
  let firstThrow = '';
  let parsed = 0;
  let refused = 0;
  let unstable = 0;
  let heapBase = 0;
  let done = 0;
  for (; done < ITERATIONS && Date.now() - started < TIME_LIMIT_MS; done++) {
    if (done === 1000) {
      gc();
      heapBase = process.memoryUsage().heapUsed;
    }
    const input = mutate(rand, corpus[Math.floor(rand() * corpus.length)]!);
    try {
      for (const stream of [false, true]) {
        const r = parseMessage(input, { stream });
        if (!r.ok) {
          refused++;
          continue;
        }
        parsed++;
        const again = parseMessage(serialize(r.message), { stream });
        if (!again.ok || headerList(again.message) !== headerList(r.message) || !again.message.body.equals(r.message.body)) {
          unstable++;
          if (unstable === 1) t.comment(`unstable round trip: ${JSON.stringify(input.toString('latin1'))}`);
        }
      }
    } catch (err) {
      thrown++;
      if (firstThrow === '') firstThrow = `${(err as Error).stack}\ninput: ${JSON.stringify(input.toString('latin1'))}`;
    }
  }
  gc();
  const growth = process.memoryUsage().heapUsed - heapBase;
  t.comment(`${done} iterations in ${Date.now() - started} ms: ${parsed} parsed, ${refused} refused, heap growth ${(growth / 1048576).toFixed(1)} MB`);
  t.equal(thrown, 0, firstThrow || 'nothing thrown');
  t.equal(unstable, 0, 'every parsed message survives serialize -> parse');
  t.ok(done >= ITERATIONS / 2, 'enough iterations ran');
  t.ok(parsed > 1000 && refused > 1000, 'the mutations reach both outcomes');
  t.ok(growth < HEAP_GROWTH_LIMIT, `heap growth ${growth} bytes below ${HEAP_GROWTH_LIMIT}`);
});

t.test('mutated byte streams through the framer never throw; what it cuts out parses or is refused', async (t) => {
  const rand = prng(0xf4a3e);
  let thrown = 0;
  let firstThrow = '';
  let messages = 0;
  let errors = 0;
  for (let i = 0; i < 2000; i++) {
    const parts: Buffer[] = [];
    for (let k = 0; k < 3; k++) {
      const base = corpus[Math.floor(rand() * corpus.length)]!;
      parts.push(rand() < 0.5 ? base : mutate(rand, base));
      if (rand() < 0.3) parts.push(Buffer.from('\r\n\r\n'));
    }
    const stream = Buffer.concat(parts);
    try {
      const framer = new StreamFramer(
        {
          onMessage: (m) => {
            messages++;
            parseMessage(m, { stream: true });
          },
          onPing: () => undefined,
          onError: () => {
            errors++;
          },
        },
        4096,
      );
      for (let pos = 0; pos < stream.length; ) {
        const n = 1 + Math.floor(rand() * 300);
        framer.push(stream.subarray(pos, pos + n));
        pos += n;
      }
      framer.close();
    } catch (err) {
      thrown++;
      if (firstThrow === '') firstThrow = String((err as Error).stack);
    }
  }
  t.comment(`${messages} messages framed, ${errors} streams stopped`);
  t.equal(thrown, 0, firstThrow || 'nothing thrown');
  t.ok(messages > 100 && errors > 100, 'both outcomes reached');
});
