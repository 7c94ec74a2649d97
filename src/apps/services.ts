// What apps use besides the call and the media: the PBX's stores. pbx.ts (and the test PBX) open
// them and hand them to appStart() (goto.ts); every Channel carries them.
import type { VoicemailStore } from '../store/voicemail-store.js';

export interface AppServices {
  /** The voicemail messages (voicemail:EXT, voicemail-main); null: no mailboxes (voicemail unavailable). */
  readonly voicemail: VoicemailStore | null;
}

export const NO_SERVICES: AppServices = Object.freeze({ voicemail: null });
