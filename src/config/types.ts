// The validated configuration (what src/config/load.ts returns). Keys follow ../shared/CONTRACT.md;
// everything not in the contract has a default so that the example config in the contract starts as is.
import type { ListenSpec } from '../sip/transport/types.js';
import type { DialledFeatureName } from './feature-numbers.js';
import type { WebhookEvent } from './webhooks.js';

/**
 * SRTP on a leg (Asterisk's media_encryption): none, sdes (SRTP required: RTP/SAVP with a=crypto,
 * plain offers refused with 488), sdes_optional (a=crypto offered on RTP/AVP, SRTP when the phone
 * takes it, plain RTP otherwise; Asterisk's media_encryption_optimistic).
 */
export type MediaEncryption = 'none' | 'sdes' | 'sdes_optional';

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
  /** SRTP with SDES keys (RFC 4568) on the leg to and from this extension's phone. */
  media_encryption: MediaEncryption;
  /** Send message-summary NOTIFYs to its contacts without a subscription; null = subscriptions.unsolicited_mwi. */
  unsolicited_mwi: boolean | null;
  /** Phones rung when this one alone got no answer within `after` seconds; null: none. */
  follow_me: FollowMeConfig | null;
  /** Short number -> number or destination; looked up before the global speed_dial. */
  speed_dial: Map<string, string>;
  /** Calls to outside numbers (through trunks) this extension may make. */
  outbound: ExtensionOutbound;
}

export interface FollowMeConfig {
  /** Extensions or dialplan numbers that lead to one (outside numbers come with trunks). */
  numbers: string[];
  /** Seconds the extension rings alone first. */
  after: number;
  /** together: the extension and every number at once; in_turn: one number after another. */
  ring: 'together' | 'in_turn';
  /** Seconds the list rings (together), or each number rings (in_turn). */
  ring_time: number;
}

/** Classes of outside numbers an outbound route dials (emergency is always allowed). */
export type OutboundClass = 'local' | 'national' | 'international' | 'emergency';

/** What an extension may dial outside, and how it is presented (extensions.X.outbound). */
export interface ExtensionOutbound {
  /** Classes allowed; `internal` (extensions and the dialplan) is always allowed, and so is emergency. */
  allow: readonly ('internal' | OutboundClass)[];
  /** The number presented to the called party (From, P-Asserted-Identity); null = its group's, the route's or the trunk's. */
  caller_id: string | null;
  /**
   * The group whose caller_id this extension presents when it sets none itself (it must be a
   * member); null = the first group in the config that lists it and has a caller_id.
   */
  caller_id_group: string | null;
  /** The caller ID is withheld (From anonymous, Privacy: id; P-Asserted-Identity still carries it). */
  anonymous: boolean;
  /** Outside calls started in any hour before further ones are refused; 0 = no limit. */
  max_calls_per_hour: number;
  /** Outside calls at once; 0 = no limit. */
  max_concurrent: number;
}

/**
 * A SIP provider: `register` trunks register to the provider with digest, `ip` trunks are peers
 * known by address (calls from `match` addresses are trunk calls, no digest).
 */
export interface TrunkConfig {
  name: string;
  type: 'register' | 'ip';
  host: string;
  port: number;
  /** tls: SIP over TLS to the provider (needs a tls entry in sip.listen); the port defaults to 5061. */
  transport: 'udp' | 'tcp' | 'tls';
  username: string | null;
  password: string | null;
  /** The digest user name when it differs from username. */
  auth_username: string | null;
  /** From user and domain of calls out; default the caller ID and host. */
  from_user: string | null;
  from_domain: string | null;
  /** Expires asked for in REGISTER (seconds). */
  expires: number;
  /** Register to the provider (true for register trunks). */
  register: boolean;
  /** SDP encoding names offered to this provider; null = rtp.codecs. */
  codecs: readonly string[] | null;
  /** Calls at once on this trunk (both ways); 0 = no limit. */
  max_channels: number;
  /**
   * Seconds a call out waits for any answer (100 Trying included) from the provider before it
   * tries the next trunk, rather than the 32 s of RFC 3261 Timer B.
   */
  response_timeout: number;
  dtmf_mode: DtmfMode;
  /** SRTP with SDES keys (RFC 4568) on calls through this trunk. */
  media_encryption: MediaEncryption;
  /** Number presented on calls out through this trunk when neither the extension nor the route sets one. */
  caller_id: string | null;
  /** Source addresses ("IP" or "IP:PORT") whose INVITEs are calls from this trunk. */
  match: readonly string[];
  /** Where the dialled number (DID) of a call from this trunk is read. */
  did_header: 'request-uri' | 'to' | 'p-called-party-id';
}

/** One outbound route: numbers matching `pattern` go out through `trunks`, in order (failover). */
export interface OutboundRoute {
  name: string;
  /** Asterisk-like pattern (X, Z, N, [1-5], ., !), compiled by src/trunks/pattern.ts. */
  pattern: string;
  /** Digits removed from the front of the dialled number. */
  strip: number;
  /** Digits added in front after strip. */
  prepend: string;
  trunks: readonly string[];
  class: OutboundClass;
  /** Number presented on calls through this route when neither the extension nor its group sets one. */
  caller_id: string | null;
  /** Seconds a call out through this route may ring before it ends (480 to the caller; no failover). */
  ring_timeout: number;
}

/** The PBX-wide spend guard on outside calls (`outbound_limits:`), over the per-extension one. */
export interface OutboundLimits {
  /** Outside calls started by all extensions together in any hour; 0 = no limit. */
  max_calls_per_hour: number;
  /** Outside calls in progress at once, all extensions together; 0 = no limit. */
  max_concurrent: number;
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

/** http.callback: who may ask for a callback, what rings, and how often a number or an address may ask. */
export interface CallbackWidgetConfig {
  /** `group:NAME` or `queue:NAME`: rung first; the customer is dialled once someone answered. */
  target: string;
  /** Origins (scheme://host[:port]) of the pages allowed to post (CORS). */
  allowed_origins: string[];
  /** At most `per_number` requests for one number within `number_window` seconds. */
  per_number: number;
  number_window: number;
  /** At most `per_ip` requests from one client address within `ip_window` seconds. */
  per_ip: number;
  ip_window: number;
  /** Digits a number has (a leading + aside). */
  min_digits: number;
  max_digits: number;
  /** Seconds the group (and then the customer) rings. */
  ring_time: number;
}

export interface GroupConfig {
  name: string;
  strategy: 'simultaneous' | 'sequential' | 'next_available' | 'round_robin';
  members: string[];
  ring_time: number;
  /** Seconds each member rings in sequential, next_available and round_robin. */
  member_timeout: number;
  default: string | null;
  /** Record the calls this group answers. */
  record: boolean;
  /** The number its members present on calls out (after their own caller_id); null = none. */
  caller_id: string | null;
  /** The display name sent with the group's caller_id; null = the extension's name. */
  caller_id_name: string | null;
}

export interface QueueConfig {
  name: string;
  strategy: 'ringall' | 'leastrecent' | 'fewestcalls' | 'random' | 'rrmemory' | 'linear';
  members: string[];
  /** Seconds a caller waits at most; then `default` (or goodbye). */
  max_wait: number;
  default: string | null;
  /** Record the calls this queue answers. */
  record: boolean;
  /** Seconds between position and estimated-wait announcements; 0: none. */
  announce_position: number;
  /** Seconds an agent's phone rings before the next agent is tried. */
  member_timeout: number;
  /** Seconds an agent rests after a queue call before the next one is offered. */
  wrapup: number;
  /** A waiting caller may press 1 to be called back, keeping its place. */
  callback: boolean;
  /** Seconds within which an answered call counts toward the service level. */
  service_level: number;
  /** Music on hold for this queue (a WAV or a directory, resolved against data_dir); null: media.music_on_hold. */
  music_on_hold: string | null;
}

export interface ConferenceConfig {
  name: string;
  /** Callers must enter it to get in; null: an open room (unless admin_pin is set, see below). */
  pin: string | null;
  /** Enters as an admin: unmuted in a `muted` room, and into a full one. Needs `pin`. */
  admin_pin: string | null;
  /** Members at most; 0 = no limit. */
  max_members: number;
  /** Callers enter muted (listeners) until they press *6; admins do not. */
  muted: boolean;
  /** A caller hears how many others are in the room as it enters. */
  announce_count: boolean;
  /** No join and leave beeps. */
  quiet: boolean;
  /** Prompt language of the room; null = media.language. */
  language: string | null;
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
  /**
   * Pressed in a call: the other party is held, the number dialled is rung and talked to; hanging up
   * transfers, `*` goes back (default "*2").
   */
  attended_transfer: string | null;
  /** Pressed in a call: the other party is parked, the slot read out (default "#72"; needs parking:). */
  park: string | null;
} & Record<DialledFeatureName, string | null>;

/** Leaving voicemail messages. */
export interface VoicemailConfig {
  /** Seconds a caller may speak before the recording ends. */
  max_message: number;
  /** Messages shorter than this many seconds are not kept. */
  min_message: number;
  /** Seconds of silence that end a message (and are cut off it); 0: silence never ends one. */
  max_silence: number;
}

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
    /**
     * Address (or name) written into Via/Contact towards peers outside `local_networks` (trunks,
     * remote phones) when the PBX sits behind NAT; null = the listen host for everyone.
     */
    external_address: string | null;
    /** CIDR networks whose peers see the PBX's own addresses (default: private, loopback and link-local ranges). */
    local_networks: readonly string[];
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
    /** Longest expiry granted to a phone registering over UDP from behind NAT; 0 = no limit. */
    nat_max_expires: number;
  };
  /** SUBSCRIBE/NOTIFY (RFC 6665): expiry bounds in seconds, and the unsolicited MWI default. */
  subscriptions: {
    min_expires: number;
    max_expires: number;
    default_expires: number;
    unsolicited_mwi: boolean;
  };
  rtp: {
    /** The address media sockets bind to, written into SDP for peers in the local networks. */
    address: string;
    /** Written into SDP for peers outside the local networks; null = sip.external_address when an IP, else `address`. */
    external_address: string | null;
    port_min: number;
    port_max: number;
    /** Seconds without RTP before a leg is hung up. */
    timeout: number;
    /** Media worker threads; 0 = one per core. */
    workers: number;
    /** SDP encoding names the PBX offers, most preferred first (PCMU, PCMA, G722, opus, L16, telephone-event). */
    codecs: readonly string[];
  };
  http: {
    listen: { host: string; port: number };
    token: string;
    /** The public callback widget (POST /api/callback); null: off. */
    callback: CallbackWidgetConfig | null;
  };
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
  /** Automatic callback of missed calls: ring `ring` (an extension or group:NAME) first, after `delay` s. */
  /**
   * Automatic callback of missed calls: on or off, the extension or group:NAME rung first, the
   * seconds before the first attempt, how many attempts, and the seconds between two of them.
   */
  missed_calls: { auto_callback: boolean; ring: string | null; delay: number; attempts: number; pause: number };
  features: FeaturesConfig;
  voicemail: VoicemailConfig;
  /** SIP providers by name. */
  trunks: Map<string, TrunkConfig>;
  /** Calls from trunks: DID -> destination, and where other DIDs go (null: 404). */
  inbound: { dids: Map<string, string>; default: string | null };
  /** Outbound routes, first match wins. */
  outbound: readonly OutboundRoute[];
  /** PBX-wide limits on outside calls (toll fraud), checked after each extension's own. */
  outbound_limits: OutboundLimits;
  parking: ParkingConfig | null;
  /** HTTP callbacks for CRMs (src/webhooks/): url, HMAC secret, the events sent. */
  webhooks: Array<{ url: string; secret: string; events: WebhookEvent[] }>;
  /** Short number -> number or destination, for every extension (its own list first). */
  speed_dial: Map<string, string>;
}

/** A routing target, compiled from a destination string. */
export type Destination =
  | { kind: 'extension'; ext: string }
  | { kind: 'ivr'; name: string }
  | { kind: 'group'; name: string }
  | { kind: 'queue'; name: string }
  | { kind: 'conference'; name: string }
  /** greeting: which the caller hears (default unavailable; forwarding on busy says busy). */
  | { kind: 'voicemail'; ext: string; greeting?: 'unavailable' | 'busy' }
  | { kind: 'voicemail-main' }
  | { kind: 'hangup' }
  | { kind: 'schedule'; name: string }
  /** A feature code dialled from a phone (never written in the config: src/config/feature-numbers.ts). */
  | { kind: 'feature'; name: DialledFeatureName; arg: string | null }
  /** An outside number matching an outbound route (never written in the config). */
  | { kind: 'outbound'; number: string }
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
