// The control API the `pbx` CLI talks to (on http.listen), guarded by the bearer token.
// GET /api/status, /api/registrations, /api/calls, /api/cdr?missed=1&since=ISO&limit=N; POST /api/reload;
// POST (start) and DELETE (stop) /api/calls/{id or Call-ID}/recording; POST /api/originate?from=EXT&to=NUMBER
// (click-to-call: 202 with the call's id; the first extension rings, then the number).
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Log } from '../util/log.js';
import type { ControlSource, RecordingRefusal } from './control-types.js';

export interface ControlServerOptions {
  host: string;
  /** 0 picks a free port; the result says which. */
  port: number;
  token: string;
  source: ControlSource;
  log: Log;
}

export interface ControlServer {
  readonly port: number;
  close(): Promise<void>;
}

const CDR_LIMIT_DEFAULT = 100;
const CDR_LIMIT_MAX = 10000;

class BadRequest extends Error {}

/** `/api/calls/{call}/recording`, the call's id or Call-ID URL-encoded. */
const RECORDING_PATH = /^\/api\/calls\/([^/]+)\/recording$/;

const REFUSAL_STATUS: Readonly<Record<RecordingRefusal, number>> = {
  'unknown-call': 404,
  'not-answered': 409,
  already: 409,
  'disk-full': 507,
  unavailable: 409,
};

type Handler = (url: URL, source: ControlSource) => unknown;

const GET_ROUTES = new Map<string, Handler>([
  ['/api/status', (_url, source) => source.status()],
  ['/api/registrations', (_url, source) => source.registrations()],
  ['/api/calls', (_url, source) => source.calls()],
  ['/api/cdr', (url, source) => source.cdr(cdrQuery(url.searchParams))],
]);

export function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  if (options.token === '') throw new TypeError('the control API needs a non-empty token');
  const expected = digest(options.token);
  const { source, log } = options;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err, path: req.url }, 'control API request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    if (!authorized(req.headers.authorization, expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="pbx"');
      return send(res, 401, { error: 'missing or wrong bearer token' });
    }
    const url = new URL(req.url ?? '/', 'http://control');
    const get = GET_ROUTES.get(url.pathname);
    if (get !== undefined) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return notAllowed(res, 'GET');
      try {
        return send(res, 200, get(url, source));
      } catch (err) {
        if (err instanceof BadRequest) return send(res, 400, { error: err.message });
        throw err;
      }
    }
    if (url.pathname === '/api/reload') {
      if (req.method !== 'POST') return notAllowed(res, 'POST');
      const result = await source.reload();
      log.info({ ok: result.ok, errors: result.ok ? 0 : result.errors.length }, 'reload requested through the control API');
      return send(res, result.ok ? 200 : 422, result);
    }
    if (url.pathname === '/api/originate') {
      if (req.method !== 'POST') return notAllowed(res, 'POST');
      const from = url.searchParams.get('from');
      const to = url.searchParams.get('to');
      if (from === null || from === '') return send(res, 400, { error: 'from: the extension to ring first is missing' });
      if (to === null || to === '') return send(res, 400, { error: 'to: the number to dial is missing' });
      const started = source.originate(from, to);
      if ('error' in started) return send(res, 400, started);
      log.info({ from, to, id: started.id }, 'call originated through the control API');
      return send(res, 202, started);
    }
    const recording = RECORDING_PATH.exec(url.pathname);
    if (recording !== null) return setRecording(req, res, recording[1]!);
    send(res, 404, { error: `no such path: ${url.pathname}` });
  }

  async function setRecording(req: IncomingMessage, res: ServerResponse, encoded: string): Promise<void> {
    if (req.method !== 'POST' && req.method !== 'DELETE') return notAllowed(res, 'POST, DELETE');
    let call: string;
    try {
      call = decodeURIComponent(encoded);
    } catch {
      return send(res, 400, { error: `bad call id in the path: ${encoded}` });
    }
    const on = req.method === 'POST';
    const result = await source.setRecording(call, on);
    if (result.ok) {
      log.info({ call, recording: on }, 'recording changed through the control API');
      return send(res, 200, result.call);
    }
    send(res, REFUSAL_STATUS[result.refusal], { error: result.error, refusal: result.refusal });
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      server.on('error', (err) => log.error({ err }, 'control API server error'));
      let closing: Promise<void> | null = null;
      resolve({
        port: (server.address() as AddressInfo).port,
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** `Bearer TOKEN`, compared in constant time (hashes have equal length whatever was sent). */
function authorized(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined) return false;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m !== null && timingSafeEqual(digest(m[1]!), expected);
}

function cdrQuery(params: URLSearchParams): { missed: boolean; since: string | null; limit: number } {
  for (const key of params.keys()) {
    if (key !== 'missed' && key !== 'since' && key !== 'limit') throw new BadRequest(`unknown query parameter "${key}"`);
  }
  const missedText = params.get('missed');
  let missed = false;
  if (missedText !== null) {
    if (!['1', '0', 'true', 'false', ''].includes(missedText)) throw new BadRequest(`missed must be 1 or 0, not "${missedText}"`);
    missed = missedText === '1' || missedText === 'true' || missedText === '';
  }
  const since = params.get('since');
  if (since !== null && (!/^\d{4}-\d\d-\d\d/.test(since) || Number.isNaN(Date.parse(since)))) {
    throw new BadRequest(`since must be an ISO 8601 time such as 2026-01-31 or 2026-01-31T08:00:00Z, not "${since}"`);
  }
  const limitText = params.get('limit');
  let limit = CDR_LIMIT_DEFAULT;
  if (limitText !== null) {
    if (!/^[0-9]{1,6}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > CDR_LIMIT_MAX) {
      throw new BadRequest(`limit must be a whole number from 1 to ${CDR_LIMIT_MAX}, not "${limitText}"`);
    }
    limit = Number(limitText);
  }
  return { missed, since: since === null ? null : new Date(since).toISOString(), limit };
}

function notAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  send(res, 405, { error: `method not allowed; use ${allow}` });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}
