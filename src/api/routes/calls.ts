// Calls in progress: list, hang up, transfer, recording on and off, and click-to-call (originate).
import type { CallInfo as CallInfoType, RecordingRefusal, TransferRefusal } from '../control-types.js';
import { HttpError, notFound } from '../errors.js';
import type { ApiPlugin } from '../plugin.js';
import { arrayOf, CallInfo, CallRecordingInfo } from '../schemas.js';

const REFUSAL_STATUS: Readonly<Record<RecordingRefusal, number>> = {
  'unknown-call': 404,
  'not-answered': 409,
  already: 409,
  'disk-full': 507,
  unavailable: 409,
};

const TRANSFER_STATUS: Readonly<Record<TransferRefusal, number>> = { 'unknown-call': 404, 'unknown-number': 400, 'not-answered': 409 };
const TRANSFER_CODE: Readonly<Record<TransferRefusal, string>> = { 'unknown-call': 'not_found', 'unknown-number': 'bad_request', 'not-answered': 'conflict' };

const callParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, description: "The call's id or its SIP Call-ID (URL-encoded), as GET /api/calls shows them." } },
  required: ['id'],
} as const;

export const callRoutes: ApiPlugin = async (app, { source, log }) => {
  app.get('/api/calls', { schema: { tags: ['calls'], summary: 'Calls in progress (`pbx calls`)', response: { 200: arrayOf(CallInfo) } } }, () => source.calls());

  const callOf = (call: string): CallInfoType => {
    const found = source.calls().find((c) => c.id === call || c.call_id === call);
    if (found === undefined) throw notFound(`no call in progress has the id or Call-ID ${call}`);
    return found;
  };
  app.get<{ Params: { id: string } }>(
    '/api/calls/:id',
    { schema: { tags: ['calls'], summary: 'One call in progress', params: callParams, response: { 200: CallInfo } } },
    (req) => callOf(req.params.id),
  );
  app.delete<{ Params: { id: string } }>(
    '/api/calls/:id',
    {
      schema: {
        tags: ['calls'],
        summary: 'Hang up a call in progress: BYE to the answered sides, CANCEL to ringing phones',
        description: 'Answers 202 with the call as it was; the call leaves GET /api/calls and its CDR row is written once the BYEs are answered.',
        params: callParams,
        response: { 202: CallInfo },
      },
    },
    (req, reply) => {
      const info = source.hangup?.(req.params.id) ?? null;
      if (info === null) throw notFound(`no call in progress has the id or Call-ID ${req.params.id}`);
      log.info({ call: info.id }, 'call hung up through the REST API');
      return reply.code(202).send(info);
    },
  );
  app.post<{ Params: { id: string }; Body: { to: string; keep?: 'caller' | 'callee' } }>(
    '/api/calls/:id/transfer',
    {
      schema: {
        tags: ['calls'],
        summary: 'Blind transfer of an answered call: one party is carried to `to`, the other hung up',
        description: 'Answers 202: the transfer goes on as one asked by a REFER (the kept party hears ringback while `to` rings). 404 unknown call, 400 `to` leads nowhere, 409 not answered with two parties.',
        params: callParams,
        body: {
          type: 'object',
          properties: {
            to: { type: 'string', minLength: 1, description: 'An extension, a dialplan number or an outside number.' },
            keep: { type: 'string', enum: ['caller', 'callee'], default: 'caller', description: 'The party that is transferred (default the caller); the other one leaves the call.' },
          },
          required: ['to'],
          additionalProperties: false,
        },
        response: { 202: CallInfo },
      },
    },
    (req, reply) => {
      if (source.transfer === undefined) throw notFound('no transfers in this PBX');
      const result = source.transfer(req.params.id, req.body.to, req.body.keep ?? 'caller');
      if (!result.ok) {
        const message = result.refusal === 'unknown-number' ? `body/to: ${result.error}` : result.error;
        throw new HttpError(TRANSFER_STATUS[result.refusal], TRANSFER_CODE[result.refusal], message);
      }
      log.info({ call: result.call.id, to: req.body.to, keep: req.body.keep }, 'call transferred through the REST API');
      return reply.code(202).send(result.call);
    },
  );

  const recording = (on: boolean) => async (req: { params: { id: string } }) => {
    const result = await source.setRecording(req.params.id, on);
    if (!result.ok) {
      // `error` carries the explanation here, as the control API always answered (the CLI prints it).
      throw new HttpError(REFUSAL_STATUS[result.refusal], result.error, result.error, { refusal: result.refusal });
    }
    log.info({ call: req.params.id, recording: on }, 'recording changed through the REST API');
    return result.call;
  };
  const recordingSchema = (summary: string) => ({
    tags: ['calls'],
    summary,
    description: 'Refusals: 404 unknown call, 409 not answered / already so / cannot be recorded, 507 disk short of recording.min_free_mb; `refusal` names which.',
    params: callParams,
    response: { 200: CallRecordingInfo },
  });
  app.post<{ Params: { id: string } }>('/api/calls/:id/recording', { schema: recordingSchema('Start (or resume) recording an answered call (`pbx record start`)') }, recording(true));
  app.delete<{ Params: { id: string } }>('/api/calls/:id/recording', { schema: recordingSchema('Stop recording a call (`pbx record stop`); the file stays') }, recording(false));

  app.post<{ Querystring: { from?: string; to?: string } }>(
    '/api/originate',
    {
      schema: {
        tags: ['calls'],
        summary: 'Click-to-call (`pbx originate`): ring extension `from` first, then dial `to` once it answered',
        description: 'Answers 202 with the call\'s id. A 400 names the field at the start of `error` ("from: ...", "to: ...").',
        querystring: {
          type: 'object',
          properties: { from: { type: 'string', description: 'The extension that rings first.' }, to: { type: 'string', description: 'The number dialled once it answered.' } },
          additionalProperties: false,
        },
        response: { 202: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
      },
    },
    (req, reply) => {
      const { from, to } = req.query;
      if (from === undefined || from === '') throw fieldError('from: the extension to ring first is missing');
      if (to === undefined || to === '') throw fieldError('to: the number to dial is missing');
      const started = source.originate(from, to);
      if ('error' in started) throw fieldError(started.error);
      log.info({ from, to, id: started.id }, 'call originated through the REST API');
      return reply.code(202).send(started);
    },
  );
};

/** A 400 whose `error` starts with the field ("from: ..."), as the control API answered it. */
function fieldError(message: string): HttpError {
  return new HttpError(400, message, message);
}
