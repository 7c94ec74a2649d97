// The REST API on http.listen (fastify): the bearer token on every route not marked public, JSON
// schemas on every route (a bad request is a 400 naming the field), every error as JSON
// `{error, message}`, the OpenAPI 3 document generated from the schemas at GET /api/openapi.json,
// and one plugin per area from src/api/routes/. The `pbx` CLI talks to it (src/cli/client.ts).
// A new area: a file in src/api/routes/ exporting an ApiPlugin (plugin.ts) whose routes carry
// `schema` (params/querystring/body and response), and one `app.register` line below. Throw
// HttpError (errors.ts) for refusals; `config: { public: true }` on a route skips the token.
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifySchemaValidationError, type preValidationAsyncHookHandler } from 'fastify';
import type { Log } from '../util/log.js';
import { AllowedMethods } from './allowed-methods.js';
import { bearerCheck } from './bearer.js';
import type { ControlSource } from './control-types.js';
import { HttpError, codeOfStatus } from './errors.js';
import type { ApiDeps } from './plugin.js';
import { callbackRoutes } from './routes/callback.js';
import { callRoutes } from './routes/calls.js';
import { cdrRoutes } from './routes/cdr.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { configEntryRoutes } from './routes/config-entries.js';
import { configRoutes } from './routes/config.js';
import { eventRoutes } from './routes/events.js';
import { extensionRoutes } from './routes/extensions.js';
import { groupRoutes } from './routes/groups.js';
import { metricsRoutes } from './routes/metrics.js';
import { missedRoutes } from './routes/missed.js';
import { queueRoutes } from './routes/queues.js';
import { recordingRoutes } from './routes/recordings.js';
import { routingRoutes } from './routes/routing.js';
import { statsRoutes } from './routes/stats.js';
import { statusRoutes } from './routes/status.js';
import { voicemailRoutes } from './routes/voicemail.js';
import { ErrorBody } from './schemas.js';

export interface ApiServerOptions {
  /** The bearer token (http.token); not empty. */
  token: string;
  source: ControlSource;
  log: Log;
}

const API_INFO = { title: 'tspbx REST API', description: 'The office PBX: calls, CDR, callback list, queues, recordings and voicemail. Every request needs `Authorization: Bearer <http.token>`.' };

/** The fastify app with every route, ready to listen (or to `inject`). */
export async function buildApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const authorized = bearerCheck(options.token);
  const { log } = options;
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    // Unknown query parameters and body fields are refused (400), not dropped; a JSON body's types
    // are taken as sent (no "5" for 5): query strings are turned into numbers by numericQuery below.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    schemaErrorFormatter: (errors, dataVar) => new Error(errors.map((e) => describeSchemaError(e, dataVar)).join('; ')),
    frameworkErrors: (err, req, reply) => {
      const plain = reply as FastifyReply;
      if (!authorized(req.headers.authorization)) return unauthorized(plain);
      void plain.code(400).send({ error: 'bad_request', message: err.message });
    },
  });

  const allowed = new AllowedMethods();
  app.addHook('onRoute', (route) => {
    allowed.add(route.url, route.method);
    const numeric = numericQueryParams(route.schema?.querystring);
    if (numeric.length > 0) route.preValidation = [numericQuery(numeric), ...[route.preValidation ?? []].flat()];
    // Every route documents its errors with the one error body.
    if (route.schema !== undefined) route.schema.response = { '4xx': ErrorBody, '5xx': ErrorBody, ...(route.schema.response as object | undefined) };
  });
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.public !== true && !authorized(req.headers.authorization)) return unauthorized(reply);
  });
  app.addHook('onSend', async (_req, reply) => {
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
  });
  app.setErrorHandler((err: FastifyError, req, reply) => sendError(err, req, reply, log));
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?', 1)[0]!;
    const methods = allowed.of(path);
    if (methods.length === 0) return reply.code(404).send({ error: 'not_found', message: `no such path: ${path}` });
    return reply.code(405).header('allow', methods.join(', ')).send({ error: 'method_not_allowed', message: `method not allowed; use ${methods.join(', ')}` });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { ...API_INFO, version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());

  const deps: ApiDeps = { source: options.source, log };
  await app.register(statusRoutes, deps);
  await app.register(callRoutes, deps);
  await app.register(cdrRoutes, deps);
  await app.register(missedRoutes, deps);
  await app.register(extensionRoutes, deps);
  await app.register(groupRoutes, deps);
  await app.register(queueRoutes, deps);
  await app.register(routingRoutes, deps);
  await app.register(recordingRoutes, deps);
  await app.register(voicemailRoutes, deps);
  await app.register(eventRoutes, deps);
  await app.register(metricsRoutes, deps);
  await app.register(statsRoutes, deps);
  await app.register(callbackRoutes, deps);
  await app.register(dashboardRoutes, deps);
  await app.register(configRoutes, deps);
  await app.register(configEntryRoutes, deps);
  await app.ready();
  return app;
}

/** The query parameters a querystring schema types as numbers. */
function numericQueryParams(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties ?? {};
  return Object.entries(properties)
    .filter(([, p]) => p.type === 'integer' || p.type === 'number')
    .map(([name]) => name);
}

/** Turns the numeric-looking values of `names` into numbers before validation; others stay strings and fail it. */
function numericQuery(names: readonly string[]): preValidationAsyncHookHandler {
  return async (req) => {
    const query = req.query as Record<string, unknown>;
    for (const name of names) {
      const value = query[name];
      if (typeof value === 'string' && /^-?\d{1,15}(\.\d+)?$/.test(value)) query[name] = Number(value);
    }
  };
}

function unauthorized(reply: FastifyReply): FastifyReply {
  return reply.code(401).header('www-authenticate', 'Bearer realm="pbx"').send({ error: 'unauthorized', message: 'missing or wrong bearer token' });
}

/** `body/number must be string`; a missing or unknown property is named. */
function describeSchemaError(e: FastifySchemaValidationError, dataVar: string): string {
  const at = `${dataVar}${e.instancePath}`;
  const params = e.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] };
  if (e.keyword === 'required' && params.missingProperty !== undefined) return `${at}/${params.missingProperty} is required`;
  if (e.keyword === 'additionalProperties' && params.additionalProperty !== undefined) return `${at}/${params.additionalProperty} is not a known ${dataVar === 'querystring' ? 'parameter' : 'field'}`;
  if (e.keyword === 'enum' && params.allowedValues !== undefined) return `${at} must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${at} ${e.message ?? 'is not valid'}`;
}

function sendError(err: FastifyError, req: FastifyRequest, reply: FastifyReply, log: Log): FastifyReply {
  if (err instanceof HttpError) return reply.code(err.status).send({ ...err.extra, error: err.code, message: err.message });
  if (err.validation !== undefined) return reply.code(400).send({ error: 'bad_request', message: err.message });
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return reply.code(status).send({ error: codeOfStatus(status), message: err.message });
  log.error({ err, path: req.url }, 'REST API request failed');
  return reply.code(500).send({ error: 'internal_error', message: 'internal error' });
}
