// A file (a recording, a voicemail message) sent with HTTP range requests (RFC 9110 14): one
// byte range answered 206 with Content-Range, a bad or unsatisfiable one 416, no Range (or
// several ranges, which a server may ignore) the whole file 200. The file is streamed from the
// handle it was measured on, never read whole.
import { open } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, notFound } from './errors.js';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * The range a Range header asks of a file of `size` bytes: RFC 9110 14.1.2 `bytes=first-last`,
 * `bytes=first-` or `bytes=-suffix`. `whole` for another unit or several ranges (served in full),
 * `unsatisfiable` for a malformed one or one that starts past the end.
 */
export function parseRange(header: string, size: number): ByteRange | 'whole' | 'unsatisfiable' {
  const eq = header.indexOf('=');
  if (eq < 0) return 'unsatisfiable';
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes') return 'whole';
  const spec = header.slice(eq + 1).trim();
  if (spec.includes(',')) return 'whole';
  const m = /^(\d*)-(\d*)$/.exec(spec);
  if (m === null || (m[1] === '' && m[2] === '')) return 'unsatisfiable';
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (last < start || start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last, size - 1) };
}

/** Sends the file at `path` as `type` (a download named `filename`); 404 when it is not there. */
export async function sendFile(req: FastifyRequest, reply: FastifyReply, path: string, type: string, filename: string): Promise<FastifyReply> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('the file is gone');
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const header = req.headers.range;
    const range = header === undefined ? 'whole' : parseRange(header, size);
    if (range === 'unsatisfiable') {
      void reply.header('content-range', `bytes */${size}`);
      throw new HttpError(416, 'range_not_satisfiable', `range "${header ?? ''}" is not within the ${size} bytes of the file`);
    }
    const { start, end } = range === 'whole' ? { start: 0, end: size - 1 } : range;
    void reply
      .code(range === 'whole' ? 200 : 206)
      .type(type)
      .header('accept-ranges', 'bytes')
      .header('content-length', String(end - start + 1))
      .header('content-disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9+._-]/g, '_')}"`);
    if (range !== 'whole') void reply.header('content-range', `bytes ${start}-${end}/${size}`);
    if (size === 0 || req.method === 'HEAD') {
      await handle.close();
      return reply.send('');
    }
    return reply.send(handle.createReadStream({ start, end, autoClose: true }));
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** The response schemas of a download route (200 whole, 206 part; 416 is the error body). */
export function downloadResponses(description: string) {
  const file = { type: 'string', format: 'binary', description } as const;
  return { 200: file, 206: { ...file, description: `${description}: the byte range asked for (Content-Range)` } } as const;
}
