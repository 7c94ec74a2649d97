// The REST API (server.ts) listening on http.listen: what src/pbx.ts starts and closes, and what
// the `pbx` CLI finds through http.listen of the config.
import type { AddressInfo } from 'node:net';
import { buildApiServer, type ApiServerOptions } from './server.js';

export interface ControlServerOptions extends ApiServerOptions {
  host: string;
  /** 0 picks a free port; the result says which. */
  port: number;
}

export interface ControlServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const app = await buildApiServer(options);
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  app.server.on('error', (err) => options.log.error({ err }, 'REST API server error'));
  let closing: Promise<void> | null = null;
  return {
    port: (app.server.address() as AddressInfo).port,
    close() {
      closing ??= app.close();
      return closing;
    },
  };
}
