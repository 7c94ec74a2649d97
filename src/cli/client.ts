// The CLI side of the control API: finds the running PBX through http.listen of the config.
import type { Config } from '../config/types.js';

const REQUEST_TIMEOUT_MS = 5000;

/** The PBX did not answer at all (exit 2). */
export class Unreachable extends Error {}

export interface ControlReply {
  status: number;
  body: unknown;
}

/** Base URL of the control API; a wildcard listen address is reached on loopback. */
function controlUrl(config: Config): string {
  let { host } = config.http.listen;
  if (host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '::1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.http.listen.port}`;
}

export type ControlMethod = 'GET' | 'POST' | 'DELETE';

export async function controlRequest(config: Config, method: ControlMethod, path: string): Promise<ControlReply> {
  const url = controlUrl(config) + path;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${config.http.token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new Unreachable(`cannot reach the PBX at ${controlUrl(config)} (${cause}); is it running with http.listen from this config?`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new Unreachable(`${controlUrl(config)} answered ${res.status} without JSON; is that the PBX?`);
  }
  return { status: res.status, body };
}
