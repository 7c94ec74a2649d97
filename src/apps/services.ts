// What apps use besides the call and the media: the PBX's stores. pbx.ts (and the test PBX) open
// them and hand them to appStart() (goto.ts); every Channel carries them.
import type { QueueService } from '../queues/service.js';
import type { VoicemailStore } from '../store/voicemail-store.js';

export interface AppServices {
  /** The voicemail messages (voicemail:EXT, voicemail-main); null: no mailboxes (voicemail unavailable). */
  readonly voicemail: VoicemailStore | null;
  /** The queues' lines and agents (queue:NAME, agent feature codes); null: queues unavailable. */
  readonly queues: QueueService | null;
}

export const NO_SERVICES: AppServices = Object.freeze({ voicemail: null, queues: null });
