// What every route plugin of the REST API (src/api/routes/) is given when server.ts registers it.
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/types.js';
import type { Log } from '../util/log.js';
import type { ControlSource } from './control-types.js';
import { notFound } from './errors.js';

export interface ApiDeps {
  /** The running PBX as the API sees it (the one type of what the PBX gives the API). */
  source: ControlSource;
  log: Log;
}

/** A route plugin: `app.register(plugin, deps)` in server.ts. */
export type ApiPlugin = FastifyPluginAsync<ApiDeps>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the bearer token (a login page, its scripts). */
    public?: boolean;
  }
}

/** The config in force, for the routes that read it; 404 from a PBX that does not show it. */
export function runningConfig(source: ControlSource): Config {
  if (source.config === undefined) throw notFound('this PBX does not show its config');
  return source.config;
}
