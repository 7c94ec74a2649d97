// What the config-editing routes share: one edit of the PBX's config file (config/edit/), its
// refusals as HTTP errors, the revision as the ETag (If-Match for compare-and-swap), and the
// reload of the running PBX after a change was written.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { editConfigFile } from '../config/edit/config-file.js';
import type { YamlText } from '../config/edit/yaml-text.js';
import type { Log } from '../util/log.js';
import type { ControlSource } from './control-types.js';
import { HttpError } from './errors.js';
import { runningConfig } from './plugin.js';

/** What an edit answers (EditReply in the OpenAPI document). */
export interface EditReply {
  revision: string;
  changed: boolean;
  /** The running PBX loaded the new file. */
  reloaded: boolean;
  /** Why it did not (FILE:LINE:COL lines), when it did not. */
  reload_errors?: string[];
}

export const EditReplySchema = {
  type: 'object',
  description: 'The config file after the edit: its new revision (also the ETag), whether it changed, and whether the PBX reloaded it.',
  properties: {
    revision: { type: 'string', description: 'SHA-256 of the file; send it as If-Match to make the next edit a compare-and-swap.' },
    changed: { type: 'boolean', description: 'False when the file already said so (nothing written, no reload).' },
    reloaded: { type: 'boolean' },
    reload_errors: { type: 'array', items: { type: 'string' } },
  },
  required: ['revision', 'changed', 'reloaded'],
} as const;

/** The If-Match header documented on every edit route. */
export const ifMatchHeader = {
  type: 'object',
  properties: { 'if-match': { type: 'string', description: 'The revision (ETag) the edit was made against; 412 when the file is at another one.' } },
} as const;

/** The config file of the running PBX (the one its config in force was loaded from). */
export function configFileOf(source: ControlSource): string {
  return runningConfig(source).file;
}

/** `"rev"`, `W/"rev"` or `rev`; undefined for no header or `*`. */
function expectedRevision(req: FastifyRequest): string | undefined {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  return header.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

export interface EditRequest<T> {
  source: ControlSource;
  log: Log;
  req: FastifyRequest;
  reply: FastifyReply;
  change: (doc: YamlText) => T;
  /** Said in the log: "extension 1005 added". */
  what: string;
  /** A removal the rest of the config still needs is a 409; another change the check refuses a 400. */
  removal?: boolean;
}

/**
 * Applies the change to the config file, reloads the PBX when the file changed, and sets the
 * ETag. Throws HttpError: 400/409 invalid_config with the FILE:LINE:COL lines, 404 not_found,
 * 409 exists or busy, 412 precondition_failed (If-Match), 400 bad_request for a bad path.
 */
export async function applyEdit<T>(r: EditRequest<T>): Promise<{ reply: EditReply; value: T }> {
  const file = configFileOf(r.source);
  const result = await editConfigFile(file, r.change, { expected: expectedRevision(r.req) });
  if (!result.ok) {
    if (result.kind === 'invalid') {
      // the problems without their FILE:LINE:COL, which `errors` keeps: they name the field
      const problems = result.errors.map((line) => (line.startsWith(`${file}:`) ? line.slice(file.length + 1).replace(/^\d+:\d+: /, '') : line));
      const message = `${problems.join('; ')} (the change was refused; ${file} is unchanged)`;
      throw new HttpError(r.removal === true ? 409 : 400, 'invalid_config', message, { errors: result.errors });
    }
    if (result.kind === 'conflict') {
      void r.reply.header('etag', `"${result.revision}"`);
      throw new HttpError(412, 'precondition_failed', result.error);
    }
    throw refusal(result.code, result.error);
  }
  void r.reply.header('etag', `"${result.revision}"`);
  const reply: EditReply = { revision: result.revision, changed: result.changed, reloaded: false };
  if (result.changed) {
    r.log.info({ file, revision: result.revision }, `config edited through the API: ${r.what}`);
    const reloaded = await r.source.reload();
    reply.reloaded = reloaded.ok;
    if (!reloaded.ok) reply.reload_errors = reloaded.errors;
  }
  return { reply, value: result.value };
}

function refusal(code: string, message: string): HttpError {
  switch (code) {
    case 'PBX_ERR_CONFIG_EDIT_EXISTS':
      return new HttpError(409, 'exists', message);
    case 'PBX_ERR_CONFIG_EDIT_MISSING':
      return new HttpError(404, 'not_found', message);
    case 'PBX_ERR_CONFIG_EDIT_LOCKED':
      return new HttpError(409, 'busy', message);
    case 'PBX_ERR_CONFIG_EDIT_PATH':
    case 'PBX_ERR_CONFIG_EDIT_VALUE':
      return new HttpError(400, 'bad_request', message);
    default:
      return new HttpError(500, 'internal_error', message);
  }
}
