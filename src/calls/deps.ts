// What call control needs from the layers under it, as narrow structural types: the real
// Registrar, MediaEngine and Store fit them, and tests can pass small fakes.
import type { LegCodecSpec, LegStats, PlayEnd, PlaySource, RemoteTarget } from '../media/engine.js';
import type { Peer } from '../sip/message.js';
import type { ServerTransaction } from '../sip/transaction/types.js';
import type { CdrRow } from '../store/types.js';
import type { ExtensionSettings } from '../store/extension-settings.js';

/** Do not disturb and forwards set from the phones (src/store/extension-settings.ts). */
export type CallSettings = Pick<ExtensionSettings, 'of' | 'setDnd' | 'setForward'>;

/** One place an extension can be reached: the Contact it registered and where its packets come from. */
export interface CallBinding {
  contact: string;
  peer: Peer;
}

export interface CallRegistrar {
  /** Every live binding of an extension (several phones ring together). */
  lookup(extension: string): readonly CallBinding[];
  /**
   * Digest check of a request. Returns the authenticated user, or null after answering the
   * challenge (407) or the refusal itself.
   */
  authenticateRequest(st: ServerTransaction, kind: 'proxy'): string | null | Promise<string | null>;
}

export interface CallStore {
  /** Stores a finished call: committed when it returns, or when the promise it returns resolves. */
  insertCdr(row: CdrRow): void | Promise<void>;
}

/** The MediaEngine verbs a call uses; every one has a deadline inside the engine. */
export interface CallMedia {
  /** SDP encoding names the media workers can decode and encode (transcode between). */
  readonly transcodable: readonly string[];
  openLeg(group: string): Promise<{ legId: string; port: number }>;
  setRemote(legId: string, target: RemoteTarget): Promise<unknown>;
  /** The codec the leg's phone speaks; legs bridged with different codecs are transcoded. */
  setCodec(legId: string, codec: LegCodecSpec): Promise<unknown>;
  bridge(a: string, b: string): Promise<unknown>;
  /** Ends the leg's bridge (it relays nothing until bridged again). */
  unbridge?(legId: string): Promise<unknown>;
  /** Puts the leg into a conference room (moving it to the room's media worker when it is unbridged). */
  join?(room: string, legId: string): Promise<unknown>;
  closeLeg(legId: string): Promise<unknown>;
  /**
   * Records the legs (caller left, callee right) to a WAV; resolves with the recording's id.
   * silenceMs > 0: 'record-silence' when the first leg has been quiet that long.
   */
  record?(legs: readonly string[], path: string, options: { mode: 'stereo' | 'mono'; silenceMs?: number }): Promise<string>;
  /** The engine's 'record-silence' event (apps that end a recording on silence listen to it). */
  on?(event: 'record-silence', listener: (recordingId: string) => void): unknown;
  off?(event: 'record-silence', listener: (recordingId: string) => void): unknown;
  /** Stops a recording; resolves once its file is complete. */
  stopRecord?(recordingId: string): Promise<unknown>;
  /** Pauses a recording (nothing written, the file stays open) or resumes it. */
  pauseRecord?(recordingId: string, paused: boolean): Promise<unknown>;
  /** Reports the leg's in-band digits as 'dtmf' events even while it is a pure relay (decoding it). */
  detectDigits?(legId: string, on: boolean): Promise<unknown>;
  /** Sends a digit to the leg's phone as RFC 4733 events or in-band tones, as its codec says. */
  sendDigit?(legId: string, digit: string): Promise<unknown>;
  /** Counters and quality of a leg (loss, jitter, RTT), for the CDR; optional for test doubles. */
  stats?(legId: string): Promise<LegStats>;
  /**
   * Plays files, tones and silences to the leg instead of what it hears otherwise; resolves when
   * they end or are stopped (apps, ringback, beeps).
   */
  play?(legId: string, items: readonly PlaySource[], options?: { loop?: boolean }): Promise<PlayEnd>;
  /** Plays a call progress tone (ringback, busy...) until stopPlay(). */
  tone?(legId: string, name: string): Promise<PlayEnd>;
  stopPlay?(legId: string): Promise<unknown>;
  /** Puts the leg into a conference room (mix-minus: it hears every other party). */
  join?(room: string, legId: string, options?: { muted?: boolean; deaf?: boolean }): Promise<unknown>;
  /** Takes the leg out of its room. */
  leave?(legId: string): Promise<unknown>;
  /** The others in the leg's room stop or start hearing it. */
  setMuted?(legId: string, muted: boolean): Promise<unknown>;
}
