// The validated configuration (what src/config/load.ts returns). Keys follow ../shared/CONTRACT.md;
// everything not in the contract has a default so that the example config in the contract starts as is.
import type { ListenSpec } from '../sip/transport/types.js';
import type { DialledFeatureName } from './feature-numbers.js';
import type { WebhookEvent } from './webhooks.js';

export interface ExtensionConfig {
  number: string;
  name: string;
  password: string;
  voicemail: { pin: string; email: string | null } | null;
  forward: {
    always: string | null;
    busy: string | null;
    no_answer: { after: number; to: string } | null;
    unavailable: string | null;
  };
  /** Concurrent calls before 486 (call waiting depth); 0 means unlimited. */
  max_calls: number;
  record: boolean;
  /** Prompt language for calls to and from this extension; null = media.language. */
  language: string | null;
  /** How digits travel on the leg to and from this extension's phone. */
  dtmf_mode: DtmfMode;
  /** Send message-summary NOTIFYs to its contacts without a subscription; null = subscriptions.unsolicited_mwi. */
  unsolicited_mwi: boolean | null;
}

/**
 * DTMF method of a phone's leg (Asterisk's dtmfmode): rfc4733 events (RFC 4733 telephone-event),
 * SIP INFO (application/dtmf-relay), in-band tones; auto is rfc4733 when the leg negotiated
 * telephone-event, else in-band.
 */
export type DtmfMode = 'auto' | 'rfc4733' | 'info' | 'inband';

export interface IvrConfig {
  name: string;
  prompt: string;
  options: Record<string, string>;
  timeout: number;
  retries: number;
  default: string | null;
  /** Prompt language of this menu; null = media.language. */
  language: string | null;
  /** Callers may dial an extension number from the menu (default true). */
  direct_dial: boolean;
}

export interface GroupConfig {
  name: string;
  strategy: 'simultaneous' | 'sequential' | 'next_available' | 'round_robin';
  members: string[];
  ring_time: number;
  default: string | null;
  /** Record the calls this group answers. */
  record: boolean;
}

export interface QueueConfig {
  name: string;
  strategy: 'ringall' | 'leastrecent' | 'fewestcalls' | 'random' | 'rrmemory' | 'linear';
  members: string[];
  max_wait: number;
  default: string | null;
  /** Record the calls this queue answers. */
  record: boolean;
}

export interface ConferenceConfig {
  name: string;
  pin: string | null;
}

/** Minutes after local midnight: [start, end), 0 <= start < end <= 1440. */
export interface TimeRange {
  start: number;
  end: number;
}

/**
 * Holiday dates, both ends included: YYYYMMDD numbers, or MMDD numbers when `annual` (the same
 * days every year).
 */
export interface HolidayRange {
  from: number;
  to: number;
  annual: boolean;
}

export interface ScheduleConfig {
  name: string;
  /** IANA time zone the hours and holidays are read in. */
  timezone: string;
  /** Opening hours by weekday, index 0 = Monday ... 6 = Sunday; each day's ranges sorted, not overlapping. */
  week: TimeRange[][];
  holidays: HolidayRange[];
  /** Destinations in hours, out of hours, and on holidays (null = `closed`). */
  open: string;
  closed: string;
  holiday: string | null;
}

/** Caller-ID rules, applied to calls to dialplan numbers (not to extensions dialled directly). */
export interface CallersConfig {
  /** Caller number (exact, or a prefix ending in `*`) -> destination. */
  known: Map<string, string>;
  /** Caller numbers (exact, or prefixes ending in `*`) whose calls are rejected with reject_status. */
  blacklist: string[];
  reject_status: number;
  /** Where anonymous callers go: a destination, 'reject', or null (the dialplan as for anyone). */
  anonymous: string | null;
}

export interface RecordingConfig {
  /** stereo: the caller left, the callee right; mono: both mixed. */
  format: 'stereo' | 'mono';
  /** Recordings older than this many days are deleted; 0 keeps them forever. */
  retention_days: number;
  /** The oldest recordings are deleted while all of them take more than this; 0 = no limit. */
  max_total_mb: number;
  /** New recordings are refused while the disk has less free space than this; 0 = no guard. */
  min_free_mb: number;
  /** Dialplan numbers (DIDs) whose calls are recorded. */
  numbers: string[];
}

/**
 * Feature codes: digits pressed during an answered call (record_toggle), and codes dialled from a
 * phone (one key per DIALLED_FEATURES entry, src/config/feature-numbers.ts). null: no such code.
 */
export type FeaturesConfig = {
  /** Starts and stops the call's recording (default "*1"). */
  record_toggle: string | null;
  /** Pressed in a call, then a number and #: the other party is transferred there (default "##"). */
  blind_transfer: string | null;
  /** Pressed in a call: the other party is parked, the slot read out (default "#72"; needs parking:). */
  park: string | null;
} & Record<DialledFeatureName, string | null>;

/** Call parking: the number parking goes to, its slots, how long a call stays parked. */
export interface ParkingConfig {
  number: string;
  /** The slot numbers, in order (the first free one is taken). */
  slots: string[];
  /** Seconds a call stays parked before it rings the parker again. */
  timeout: number;
  /** Where a parked call goes when the parker does not answer it either; null: hung up. */
  fallback: string | null;
}

export interface Config {
  /** Absolute path of the file this came from. */
  file: string;
  /** Absolute path; the SQLite database, recordings/ and voicemail/ live under it. */
  data_dir: string;
  sip: {
    listen: ListenSpec[];
    domain: string;
    /** Address written into Via/Contact/Record-Route towards the outside; null = the listen host. */
    external_address: string | null;
    tls: { cert: string; key: string; ca: string | null } | null;
    max_message_size: number;
    tcp_idle_timeout: number;
    max_connections_per_source: number;
    user_agent: string;
  };
  registration: {
    min_expires: number;
    max_expires: number;
    default_expires: number;
    /** Seconds between keep-alive OPTIONS to NATed UDP contacts. */
    keepalive_interval: number;
  };
  /** SUBSCRIBE/NOTIFY (RFC 6665): expiry bounds in seconds, and the unsolicited MWI default. */
  subscriptions: {
    min_expires: number;
    max_expires: number;
    default_expires: number;
    unsolicited_mwi: boolean;
  };
  rtp: {
    address: string;
    port_min: number;
    port_max: number;
    /** Seconds without RTP before a leg is hung up. */
    timeout: number;
    /** Media worker threads; 0 = one per core. */
    workers: number;
    /** SDP encoding names the PBX offers, most preferred first (PCMU, PCMA, G722, opus, L16, telephone-event). */
    codecs: readonly string[];
  };
  http: { listen: { host: string; port: number }; token: string };
  security: {
    nonce_ttl: number;
    /** Failures from one address before its requests are slowed. */
    slow_after: number;
    /** Failures from one address (within `window`) before it is banned. */
    ban_after: number;
    window: number;
    ban_time: number;
    drop_scanners: boolean;
    /** Digest algorithms challenged, most preferred first. */
    digest_algorithms: ('MD5' | 'SHA-256')[];
  };
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' };
  media: {
    /** Default prompt language: a shipped one (en, ru, th) or a directory under data_dir/prompts. */
    language: string;
    /** Country code of the call progress tones (src/media/tones.ts), lower case. */
    tones: string;
    /** Absolute path of a WAV file or a directory of them; null = the shipped music on hold. */
    music_on_hold: string | null;
  };
  extensions: Map<string, ExtensionConfig>;
  ivr: Map<string, IvrConfig>;
  dialplan: Map<string, string>;
  groups: Map<string, GroupConfig>;
  queues: Map<string, QueueConfig>;
  conferences: Map<string, ConferenceConfig>;
  recording: RecordingConfig;
  schedules: Map<string, ScheduleConfig>;
  callers: CallersConfig;
  features: FeaturesConfig;
  parking: ParkingConfig | null;
  /** HTTP callbacks for CRMs (src/webhooks/): url, HMAC secret, the events sent. */
  webhooks: Array<{ url: string; secret: string; events: WebhookEvent[] }>;
}

/** A routing target, compiled from a destination string. */
export type Destination =
  | { kind: 'extension'; ext: string }
  | { kind: 'ivr'; name: string }
  | { kind: 'group'; name: string }
  | { kind: 'queue'; name: string }
  | { kind: 'conference'; name: string }
  | { kind: 'voicemail'; ext: string }
  | { kind: 'voicemail-main' }
  | { kind: 'hangup' }
  | { kind: 'schedule'; name: string }
  /** A feature code dialled from a phone (never written in the config: src/config/feature-numbers.ts). */
  | { kind: 'feature'; name: DialledFeatureName; arg: string | null }
  /** parking.number: the caller (or the party transferred there) is parked in a free slot. */
  | { kind: 'park' }
  /** A parking slot number: the call parked there is taken back. */
  | { kind: 'parked'; slot: string };

/** The dialplan compiled once per (re)load; calls keep the Routing they began with. */
export interface Routing {
  readonly config: Config;
  /** A dialled number (from an extension or a trunk) to a destination, or null (404). */
  resolve(number: string): Destination | null;
}
