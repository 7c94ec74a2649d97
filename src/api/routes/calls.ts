// Calls in progress: list, recording on and off, and click-to-call (originate).
import type { RecordingRefusal } from '../control-types.js';
import { HttpError } from '../errors.js';
import type { ApiPlugin } from '../plugin.js';
import { arrayOf, CallInfo, CallRecordingInfo } from '../schemas.js';

const REFUSAL_STATUS: Readonly<Record<RecordingRefusal, number>> = {
  'unknown-call': 404,
  'not-answered': 409,
  already: 409,
  'disk-full': 507,
  unavailable: 409,
};

const callParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, description: "The call's id or its SIP Call-ID (URL-encoded), as GET /api/calls shows them." } },
  required: ['id'],
} as const;

export const callRoutes: ApiPlugin = async (app, { source, log }) => {
  app.get('/api/calls', { schema: { tags: ['calls'], summary: 'Calls in progress (`pbx calls`)', response: { 200: arrayOf(CallInfo) } } }, () => source.calls());

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
