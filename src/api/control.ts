// The control API the `pbx` CLI talks to (on http.listen), guarded by the bearer token.
// GET /api/status, /api/registrations, /api/calls, /api/trunks, /api/cdr?missed=1&since=ISO&limit=N; POST /api/reload;
// POST (start) and DELETE (stop) /api/calls/{id or Call-ID}/recording; POST /api/originate?from=EXT&to=NUMBER
// (click-to-call: 202 with the call's id; the first extension rings, then the number); GET /api/events
// (server-sent events: the webhook events live); GET /metrics (Prometheus); GET
// /api/missed?all=1&limit=N (the callback list) and POST /api/missed/{id or number}/done;
// GET /api/extensions/{n}/forward (do not disturb and forwards in force);
// GET /api/queues/stats?since=ISO (every queue), /api/queues/{name}/stats?since=ISO (one; 404 unknown).
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

/** `limit` of the lists (CDR, callback list): default and most. */
const LIST_LIMIT_DEFAULT = 100;
const LIST_LIMIT_MAX = 10000;

class BadRequest extends Error {}

/** `/api/extensions/{n}/forward`. */
const FORWARD_PATH = /^\/api\/extensions\/([0-9]{1,20})\/forward$/;

/** `/api/calls/{call}/recording`, the call's id or Call-ID URL-encoded. */
const RECORDING_PATH = /^\/api\/calls\/([^/]+)\/recording$/;
/** `/api/missed/{entry}/done`, the callback entry's id ("m7") or number URL-encoded. */
const MISSED_DONE_PATH = /^\/api\/missed\/([^/]+)\/done$/;

/** `/api/queues/stats` or `/api/queues/{name}/stats`. */
const QUEUE_STATS_PATH = /^\/api\/queues(?:\/([^/]+))?\/stats$/;

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
  ['/api/trunks', (_url, source) => source.trunks?.() ?? []],
  ['/api/cdr', (url, source) => source.cdr(cdrQuery(url.searchParams))],
  ['/api/missed', (url, source) => source.missed(missedQuery(url.searchParams))],
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
    if (url.pathname === '/metrics' && source.metrics !== undefined) {
      if (req.method !== 'GET') return notAllowed(res, 'GET');
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(source.metrics());
      return;
    }
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') return notAllowed(res, 'GET');
      return liveEvents(res);
    }
    const queueStats = QUEUE_STATS_PATH.exec(url.pathname);
    if (queueStats !== null) return queueStatsOf(req, res, url, queueStats[1] ?? null);
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
    const done = MISSED_DONE_PATH.exec(url.pathname);
    if (done !== null) return missedDone(req, res, done[1]!);
    const forward = FORWARD_PATH.exec(url.pathname);
    if (forward !== null) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return notAllowed(res, 'GET');
      const info = source.forwarding?.(forward[1]!) ?? null;
      return info === null ? send(res, 404, { error: `no extension ${forward[1]!}` }) : send(res, 200, info);
    }
    send(res, 404, { error: `no such path: ${url.pathname}` });
  }

  /** Server-sent events (text/event-stream): one `event: NAME` + `data: JSON` block per event, a comment every 15 s. */
  function liveEvents(res: ServerResponse): void {
    if (source.subscribe === undefined) return send(res, 404, { error: 'no live events in this PBX' });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': tspbx live events\n\n');
    const off = source.subscribe((e) => res.write(`id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e)}\n\n`));
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    const end = (): void => {
      clearInterval(ping);
      off();
    };
    // The response's close, not the request's: a GET's request closes as soon as it is read.
    res.once('close', end);
  }

  function missedDone(req: IncomingMessage, res: ServerResponse, encoded: string): void {
    if (req.method !== 'POST') return notAllowed(res, 'POST');
    const which = decoded(encoded);
    if (which === null) return send(res, 400, { error: `bad entry in the path: ${encoded}` });
    const closed = source.missedDone(which);
    if (closed === null) return send(res, 404, { error: `no open missed-call entry with id or number ${which}` });
    send(res, 200, closed);
  }

  async function setRecording(req: IncomingMessage, res: ServerResponse, encoded: string): Promise<void> {
    if (req.method !== 'POST' && req.method !== 'DELETE') return notAllowed(res, 'POST, DELETE');
    const call = decoded(encoded);
    if (call === null) return send(res, 400, { error: `bad call id in the path: ${encoded}` });
    const on = req.method === 'POST';
    const result = await source.setRecording(call, on);
    if (result.ok) {
      log.info({ call, recording: on }, 'recording changed through the control API');
      return send(res, 200, result.call);
    }
    send(res, REFUSAL_STATUS[result.refusal], { error: result.error, refusal: result.refusal });
  }

  function queueStatsOf(req: IncomingMessage, res: ServerResponse, url: URL, encoded: string | null): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return notAllowed(res, 'GET');
    let name: string | null = null;
    let since: string | null;
    try {
      name = encoded === null ? null : decodeURIComponent(encoded);
      since = sinceQuery(url.searchParams);
    } catch (err) {
      return send(res, 400, { error: err instanceof BadRequest ? err.message : `bad queue name in the path: ${encoded}` });
    }
    const stats = source.queueStats?.(name, since) ?? null;
    if (stats === null) return send(res, 404, { error: `no queue named "${name}"` });
    send(res, 200, name === null ? stats : stats[0]);
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

function decoded(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function onlyParams(params: URLSearchParams, known: readonly string[]): void {
  for (const key of params.keys()) if (!known.includes(key)) throw new BadRequest(`unknown query parameter "${key}"`);
}

/** A flag parameter: absent is false; `1`, `true` or empty is true; `0`, `false` is false. */
function flag(params: URLSearchParams, name: string): boolean {
  const text = params.get(name);
  if (text === null) return false;
  if (!['1', '0', 'true', 'false', ''].includes(text)) throw new BadRequest(`${name} must be 1 or 0, not "${text}"`);
  return text === '1' || text === 'true' || text === '';
}

function limitOf(params: URLSearchParams): number {
  const limitText = params.get('limit');
  if (limitText === null) return LIST_LIMIT_DEFAULT;
  if (!/^[0-9]{1,6}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > LIST_LIMIT_MAX) {
    throw new BadRequest(`limit must be a whole number from 1 to ${LIST_LIMIT_MAX}, not "${limitText}"`);
  }
  return Number(limitText);
}

function missedQuery(params: URLSearchParams): { all: boolean; limit: number } {
  onlyParams(params, ['all', 'limit']);
  return { all: flag(params, 'all'), limit: limitOf(params) };
}

function cdrQuery(params: URLSearchParams): { missed: boolean; since: string | null; limit: number } {
  onlyParams(params, ['missed', 'since', 'limit']);
  const missed = flag(params, 'missed');
  const since = params.get('since');
  if (since !== null && (!/^\d{4}-\d\d-\d\d/.test(since) || Number.isNaN(Date.parse(since)))) {
    throw new BadRequest(`since must be an ISO 8601 time such as 2026-01-31 or 2026-01-31T08:00:00Z, not "${since}"`);
  }
  return { missed, since: since === null ? null : new Date(since).toISOString(), limit: limitOf(params) };
}

/** `?since=ISO` alone (queue statistics). */
function sinceQuery(params: URLSearchParams): string | null {
  for (const key of params.keys()) if (key !== 'since') throw new BadRequest(`unknown query parameter "${key}"`);
  const since = params.get('since');
  if (since === null) return null;
  if (!/^\d{4}-\d\d-\d\d/.test(since) || Number.isNaN(Date.parse(since))) {
    throw new BadRequest(`since must be an ISO 8601 time such as 2026-01-31 or 2026-01-31T08:00:00Z, not "${since}"`);
  }
  return new Date(since).toISOString();
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
