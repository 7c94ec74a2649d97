// A start or stop of a call's recording asked through the control API, as the API answers it:
// the call's recording state, or the refusal and its reason.
import type { RecordingRefusal, RecordingResult } from '../api/control-types.js';
import { PbxError } from '../util/errors.js';
import type { Call } from './call.js';
import { RECORDING_ERRORS } from './recording-control.js';

const REFUSALS: ReadonlyMap<string, RecordingRefusal> = new Map([
  [RECORDING_ERRORS.NOT_ANSWERED, 'not-answered'],
  [RECORDING_ERRORS.ACTIVE, 'already'],
  [RECORDING_ERRORS.NOT_ACTIVE, 'already'],
  [RECORDING_ERRORS.DISK_FULL, 'disk-full'],
]);

export async function recordingResult(call: Call | null, on: boolean): Promise<RecordingResult> {
  if (call === null) return { ok: false, refusal: 'unknown-call', error: 'no call in progress has this id or Call-ID' };
  try {
    if (on) await call.startRecording();
    else await call.stopRecording();
  } catch (err) {
    const refusal = (err instanceof PbxError ? REFUSALS.get(err.code) : undefined) ?? 'unavailable';
    if (refusal === 'unavailable') call.log.warn({ err, on }, 'recording request failed');
    return { ok: false, refusal, error: err instanceof Error ? err.message : String(err) };
  }
  return { ok: true, call: { id: call.id, call_id: call.a.callId, recording: call.recording, path: call.recordingPath } };
}
