// The config schema (valibot): shapes, types, ranges and defaults of every key in CONTRACT.md.
// Cross-references (destinations, numbers defined twice) are checked in references.ts.
import { isIP } from 'node:net';
import * as v from 'valibot';
import { TONE_COUNTRIES } from '../media/tones.js';
import { WEBHOOK_EVENTS } from './webhooks.js';
import { didYouMean } from './suggest.js';
import { parseHostPort, parseListenSpec, parsePortRange } from './listen.js';
import { DEFAULT_LOCAL_NETWORKS, parseCidr } from '../util/cidr.js';
import { CALLER_PATTERN } from './callers.js';
import { DIALLED_FEATURE_NAMES, DIALLED_FEATURES, type DialledFeatureName } from './feature-numbers.js';
import { compilePattern } from '../trunks/pattern.js';
import { parkingSlots } from './parking.js';
import { isTimeZone, parseDays, parseHoliday, parseHours, timeZoneNames } from './schedule.js';

const KEY_ISSUE = 'strict_object';

/** A mapping with a fixed set of keys: an unknown key gets a "did you mean", a missing one is named. */
function mapping<E extends v.ObjectEntries>(entries: E) {
  const keys = Object.keys(entries);
  return v.strictObject(entries, (issue) => {
    if (issue.type !== KEY_ISSUE) return issue.message;
    if (issue.expected === 'never') {
      const key = String(issue.input ?? issue.received).replace(/^"|"$/g, '');
      return `unknown key "${key}"${didYouMean(key, keys)}`;
    }
    if (issue.received === 'undefined') return `missing key ${issue.expected}`;
    return `expected a mapping, got ${describe(issue.received)}`;
  });
}

/** Whole number in [min, max], with a default when absent. */
function int(min: number, max: number, fallback: number) {
  return v.optional(
    v.pipe(
      v.number(),
      v.integer('must be a whole number'),
      v.minValue(min, (i) => `must be at least ${min} (got ${i.received})`),
      v.maxValue(max, (i) => `must be at most ${max} (got ${i.received})`),
    ),
    fallback,
  );
}

/** Text that YAML may have read as a number (`to: 1003`, `pin: 4321`); kept as written digits. */
const text = v.pipe(v.union([v.string(), v.number()], (i) => `expected a string, got ${describe(i.received)}`), v.transform(String));
const nonEmpty = v.pipe(text, v.minLength(1, 'must not be empty'));
const destination = nonEmpty;
const optionalDestination = v.optional(v.nullable(destination), null);

const EXTENSION_NUMBER = /^[0-9]{1,20}$/;
const DIAL_NUMBER = /^[0-9*#+]{1,32}$/;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A number written as a value (`"1003"` or 1003): 0-9 * # +. */
const dialNumberText = v.pipe(text, v.regex(DIAL_NUMBER, (i) => `number ${i.input} may only use 0-9 * # +`));
/** A speed-dial short number: 1 to 8 keys of 0-9 * #. */
const speedDialKey = v.pipe(v.string(), v.regex(/^[0-9*#]{1,8}$/, (i) => `speed-dial number ${i.input} must be 1 to 8 keys of 0-9 * #`));

const extensionNumber = v.pipe(v.string(), v.regex(EXTENSION_NUMBER, (i) => `extension number ${i.received} must be 1 to 20 digits`));
const dialNumber = v.pipe(v.string(), v.regex(DIAL_NUMBER, (i) => `dialplan number ${i.received} may only use 0-9 * # +`));
const name = v.pipe(v.string(), v.regex(NAME, (i) => `name ${i.received} may only use letters, digits, _ and -`));
const pin = v.pipe(text, v.regex(/^[0-9]{1,16}$/, 'a PIN is 1 to 16 digits'));
/** A prompt language: a directory name under prompts/ (whether it exists is checked in media-files.ts). */
const language = v.pipe(v.string(), v.regex(/^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$/, (i) => `bad language ${i.received}; expected a code such as en, ru, th or pt-BR`));
const toneCountry = v.pipe(
  v.string(),
  v.check(
    (c) => TONE_COUNTRIES.includes(c.toLowerCase()),
    (i) => `no tone set for country ${i.received}${didYouMean(String(i.input), TONE_COUNTRIES)}; known: ${TONE_COUNTRIES.join(', ')}`,
  ),
  v.transform((c) => c.toLowerCase()),
);

/** Encoding names rtp.codecs accepts (any case), in their SDP spelling. */
export const RTP_CODEC_NAMES = ['PCMU', 'PCMA', 'G722', 'opus', 'L16', 'telephone-event'] as const;
export type RtpCodecName = (typeof RTP_CODEC_NAMES)[number];
export const DEFAULT_RTP_CODECS: readonly RtpCodecName[] = ['PCMU', 'PCMA', 'G722', 'opus', 'telephone-event'];
const rtpCodec = v.pipe(
  v.string('a codec name is a string'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const known = RTP_CODEC_NAMES.find((n) => n.toLowerCase() === dataset.value.toLowerCase());
    if (known === undefined) {
      addIssue({ message: `unknown codec "${dataset.value}"; known codecs: ${RTP_CODEC_NAMES.join(', ')}` });
      return NEVER;
    }
    return known;
  }),
);

const listenSpec = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const spec = parseListenSpec(dataset.value);
    if (spec === null) {
      addIssue({ message: `bad listen spec "${dataset.value}"; expected transport:host:port with transport udp, tcp, tls, ws or wss, e.g. "udp:127.0.0.1:5060" or "tls:[::1]:5061"` });
      return NEVER;
    }
    return spec;
  }),
);

const hostPort = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const hp = parseHostPort(dataset.value);
    if (hp === null) {
      addIssue({ message: `bad address "${dataset.value}"; expected host:port, e.g. "127.0.0.1:8088" or "[::1]:8088"` });
      return NEVER;
    }
    return hp;
  }),
);

const portRange = v.pipe(
  text,
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const range = parsePortRange(dataset.value);
    if (range === null) {
      addIssue({ message: `bad port range "${dataset.value}"; expected "MIN-MAX" with 1 <= MIN < MAX <= 65535, e.g. "20000-20999"` });
      return NEVER;
    }
    return range;
  }),
);

function oneOf<const T extends readonly string[]>(options: T, fallback: T[number]) {
  return v.optional(v.picklist(options, (i) => `must be one of ${options.join(', ')} (got ${i.received})`), fallback);
}

/** dtmf_mode, as Asterisk's dtmfmode names it; rfc2833 (the RFC 4733 of old) means rfc4733. */
const dtmfMode = v.optional(
  v.pipe(
    v.picklist(['auto', 'rfc4733', 'rfc2833', 'info', 'inband'] as const, (i) => `must be one of auto, rfc4733, info, inband (got ${i.received})`),
    v.transform((m) => (m === 'rfc2833' ? 'rfc4733' : m)),
  ),
  'auto',
);

/** media_encryption, as Asterisk names it (no means none). */
const mediaEncryption = v.optional(
  v.pipe(
    v.picklist(['none', 'no', 'sdes', 'sdes_optional'] as const, (i) => `must be one of none, sdes, sdes_optional (got ${i.received})`),
    v.transform((m) => (m === 'no' ? 'none' : m)),
  ),
  'none',
);

/** A number presented as caller ID: digits with an optional leading +, or "anonymous". */
const callerIdNumber = v.pipe(
  v.string((i) => (typeof i.input === 'number' ? `write numbers in quotes ("+74951234567"): YAML reads ${String(i.input)} as a number and drops a leading + or 0` : `expected a number in quotes, got ${describe(i.received)}`)),
  v.regex(/^\+?[0-9]{1,32}$/, (i) => `caller ID ${i.received} must be digits with an optional leading +, e.g. "+74951234567"`),
);
const outboundClass = v.picklist(['local', 'national', 'international', 'emergency'] as const, (i) => `must be one of local, national, international, emergency (got ${i.received})`);

/** extensions.X.outbound: what the extension may dial outside (international off by default). */
const extensionOutbound = mapping({
  allow: v.optional(
    v.array(v.picklist(['internal', 'local', 'national', 'international', 'emergency'] as const, (i) => `must be one of internal, local, national, international, emergency (got ${i.received})`)),
    ['internal', 'local', 'national'],
  ),
  caller_id: v.optional(v.nullable(callerIdNumber), null),
  caller_id_group: v.optional(v.nullable(name), null),
  anonymous: v.optional(v.boolean(), false),
  max_calls_per_hour: int(0, 100000, 0),
  max_concurrent: int(0, 1000, 0),
});

const hostName = v.pipe(v.string(), v.regex(/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.:-]{1,253})$/, (i) => `bad host ${i.received}; expected a name or an IP address`));
/** An address written into SDP: an IP literal. */
const ipAddress = v.pipe(v.string(), v.check((a) => isIP(a) !== 0, (i) => `must be an IPv4 or IPv6 address (it is written into SDP), not ${i.received}`));
/** A network in CIDR notation ("192.168.0.0/16", "fd00::/8"); a bare address is one host. */
const cidr = v.pipe(
  v.string(),
  v.check((c) => parseCidr(c) !== null, (i) => `bad network ${i.received}; expected an address with a prefix length, e.g. "192.168.1.0/24" or "fd00::/8"`),
);
/** A source address of an IP trunk: "IP" or "IP:PORT" ("[v6]:PORT"). */
const matchAddress = v.pipe(
  v.string(),
  v.check((a) => {
    const m = /^\[([^\]]+)\](?::([0-9]{1,5}))?$/.exec(a) ?? /^([^:]+)(?::([0-9]{1,5}))?$/.exec(a);
    if (m !== null) return isIP(m[1]!) !== 0 && (m[2] === undefined || (Number(m[2]) > 0 && Number(m[2]) < 65536));
    return isIP(a) === 6;
  }, (i) => `bad address ${i.received}; expected an IP address, optionally with a port ("203.0.113.5", "203.0.113.5:5060", "[2001:db8::1]:5060")`),
);

const trunk = mapping({
  type: oneOf(['register', 'ip'] as const, 'register'),
  host: hostName,
  // Absent: 5060, or 5061 for tls (load.ts).
  port: v.optional(v.nullable(v.pipe(v.number(), v.integer('must be a whole number'), v.minValue(1, (i) => `must be at least 1 (got ${i.received})`), v.maxValue(65535, (i) => `must be at most 65535 (got ${i.received})`))), null),
  transport: oneOf(['udp', 'tcp', 'tls'] as const, 'udp'),
  username: v.optional(v.nullable(nonEmpty), null),
  password: v.optional(v.nullable(nonEmpty), null),
  auth_username: v.optional(v.nullable(nonEmpty), null),
  from_user: v.optional(v.nullable(nonEmpty), null),
  from_domain: v.optional(v.nullable(hostName), null),
  expires: int(30, 86400, 3600),
  register: v.optional(v.nullable(v.boolean()), null),
  codecs: v.optional(v.nullable(v.pipe(v.array(rtpCodec), v.minLength(1, 'needs at least one codec'))), null),
  max_channels: int(0, 10000, 0),
  response_timeout: int(1, 32, 5),
  dtmf_mode: dtmfMode,
  media_encryption: mediaEncryption,
  caller_id: v.optional(v.nullable(callerIdNumber), null),
  match: v.optional(v.array(matchAddress), []),
  did_header: oneOf(['request-uri', 'to', 'p-called-party-id'] as const, 'request-uri'),
});

const dialPattern = v.pipe(
  text,
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const p = compilePattern(dataset.value);
    if (typeof p === 'string') addIssue({ message: p });
  }),
);

const outboundRoute = mapping({
  name: v.optional(name),
  pattern: dialPattern,
  strip: int(0, 32, 0),
  prepend: v.optional(v.pipe(text, v.regex(/^[0-9*#+]{0,32}$/, 'prepend may only use 0-9 * # +')), ''),
  trunks: v.pipe(v.array(name), v.minLength(1, 'a route needs at least one trunk')),
  class: v.optional(outboundClass, 'national'),
  caller_id: v.optional(v.nullable(callerIdNumber), null),
  ring_timeout: int(1, 600, 120),
});

/** outbound_limits: the PBX-wide spend guard (all extensions together); 0 = no limit. */
const outboundLimits = mapping({
  max_calls_per_hour: int(0, 1000000, 0),
  max_concurrent: int(0, 10000, 0),
});

const extension = mapping({
  name: v.optional(text),
  password: nonEmpty,
  // Every extension has a mailbox that destinations may name; `{ pin }` lets its owner listen
  // (voicemail-main), `false` turns it off. The CONTRACT example sends callers to voicemail:1001
  // although 1001 sets no PIN.
  voicemail: v.optional(
    v.nullable(v.union([v.literal(false), mapping({ pin, email: v.optional(v.nullable(v.pipe(v.string(), v.email('not an email address'))), null) })], 'expected a mapping with pin, or false')),
    null,
  ),
  forward: v.optional(
    mapping({
      always: optionalDestination,
      busy: optionalDestination,
      no_answer: v.optional(v.nullable(mapping({ after: int(1, 600, 20), to: destination })), null),
      unavailable: optionalDestination,
    }),
    {},
  ),
  max_calls: int(0, 100, 0),
  record: v.optional(v.boolean(), false),
  language: v.optional(v.nullable(language), null),
  dtmf_mode: dtmfMode,
  media_encryption: mediaEncryption,
  // Message-summary NOTIFYs without a subscription (phones that never SUBSCRIBE); null = subscriptions.unsolicited_mwi.
  unsolicited_mwi: v.optional(v.nullable(v.boolean()), null),
  // Other phones rung when this one alone did not answer within `after` seconds.
  follow_me: v.optional(
    v.nullable(
      mapping({
        numbers: v.pipe(v.array(dialNumberText), v.minLength(1, 'follow_me needs at least one number')),
        after: int(1, 600, 10),
        ring: oneOf(['together', 'in_turn'] as const, 'together'),
        ring_time: int(1, 600, 20),
      }),
    ),
    null,
  ),
  // Short numbers of this extension; its own list comes before the global speed_dial.
  speed_dial: v.optional(v.record(speedDialKey, destination), {}),
  outbound: v.optional(extensionOutbound, {}),
});

const ivr = mapping({
  prompt: nonEmpty,
  options: v.optional(v.record(v.pipe(v.string(), v.regex(/^[0-9*#]$/, (i) => `IVR option ${i.received} must be one key: 0-9, * or #`)), destination), {}),
  timeout: int(1, 60, 5),
  retries: int(0, 10, 2),
  default: optionalDestination,
  language: v.optional(v.nullable(language), null),
  direct_dial: v.optional(v.boolean(), true),
});

const group = mapping({
  strategy: oneOf(['simultaneous', 'sequential', 'next_available', 'round_robin'] as const, 'simultaneous'),
  members: v.pipe(v.array(text), v.minLength(1, 'a group needs at least one member')),
  ring_time: int(1, 600, 20),
  // Seconds each member rings in turn (sequential, next_available, round_robin).
  member_timeout: int(1, 600, 15),
  default: optionalDestination,
  record: v.optional(v.boolean(), false),
  // What the members present on calls out when they set no caller_id of their own.
  caller_id: v.optional(v.nullable(callerIdNumber), null),
  caller_id_name: v.optional(v.nullable(nonEmpty), null),
});

const queue = mapping({
  strategy: oneOf(['ringall', 'leastrecent', 'fewestcalls', 'random', 'rrmemory', 'linear'] as const, 'ringall'),
  members: v.pipe(v.array(text), v.minLength(1, 'a queue needs at least one member')),
  max_wait: int(1, 86400, 300),
  default: optionalDestination,
  record: v.optional(v.boolean(), false),
  announce_position: int(0, 3600, 60),
  member_timeout: int(1, 600, 15),
  wrapup: int(0, 3600, 10),
  callback: v.optional(v.boolean(), false),
  service_level: int(1, 3600, 60),
  music_on_hold: v.optional(v.nullable(nonEmpty), null),
});

const recording = mapping({
  format: oneOf(['stereo', 'mono'] as const, 'stereo'),
  retention_days: int(0, 36500, 0),
  max_total_mb: int(0, 1_000_000_000, 0),
  min_free_mb: int(0, 1_000_000_000, 500),
  numbers: v.optional(v.array(v.pipe(text, v.regex(DIAL_NUMBER, (i) => `dialplan number ${i.received} may only use 0-9 * # +`))), []),
});

const timeZone = v.pipe(
  v.string(),
  v.check(
    isTimeZone,
    (i) => `unknown time zone "${String(i.input)}"${didYouMean(String(i.input), timeZoneNames()) || '; expected an IANA name such as Europe/Moscow, America/New_York or UTC'}`,
  ),
);

/** A schedule's `hours` key: a day or a range of days. */
const days = v.pipe(
  v.string(),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const d = parseDays(dataset.value);
    if (typeof d === 'string') addIssue({ message: d });
  }),
);

/** A transform by a parser that returns its value or an error message. */
function parseWith<T>(parse: (input: string) => T | string) {
  return v.rawTransform<string, T>(({ dataset, addIssue, NEVER }) => {
    const r = parse(dataset.value);
    if (typeof r === 'string') {
      addIssue({ message: r });
      return NEVER;
    }
    return r;
  });
}

/** A day's opening hours: "09:00-18:00", "09:00-13:00, 14:00-18:00", or a list of ranges. */
const hours = v.pipe(
  v.union([v.string(), v.array(v.string())], 'expected hours such as "09:00-18:00", or a list of them'),
  v.transform((h) => (typeof h === 'string' ? h : h.join(','))),
  parseWith(parseHours),
);

const schedule = mapping({
  // The PBX host's own zone when absent.
  timezone: v.optional(timeZone, () => Intl.DateTimeFormat().resolvedOptions().timeZone),
  hours: v.record(days, hours),
  holidays: v.optional(v.array(v.pipe(v.string('a holiday is a date in quotes, such as "2026-12-31"'), parseWith(parseHoliday))), []),
  open: destination,
  closed: destination,
  holiday: optionalDestination,
});

/** A caller number or prefix; a string, since YAML reads an unquoted +7495... or 0049... as a number and drops the + or the zeros. */
const callerPattern = v.pipe(
  v.string((i) =>
    typeof i.input === 'number'
      ? `write caller numbers in quotes ("+74951234567"): YAML reads ${String(i.input)} as a number and drops a leading + or 0`
      : `expected a caller number in quotes such as "+74951234567", got ${describe(i.received)}`,
  ),
  v.regex(CALLER_PATTERN, (i) => `caller number ${i.received} must be digits with an optional leading + and an optional trailing * (a prefix), e.g. "+74951234567" or "+7495*"`),
);

// Automatic callback of missed calls (calls/auto-callback.ts).
// auto_callback: true (3 attempts, 300 s apart), false, or { attempts, pause }.
const autoCallbackPolicy = mapping({
  attempts: int(1, 10, 3),
  pause: int(10, 86400, 300),
});
const missedCalls = mapping({
  auto_callback: v.optional(v.union([v.boolean(), autoCallbackPolicy], 'expected true, false, or { attempts: 1..10, pause: 10..86400 seconds }'), false),
  ring: optionalDestination,
  delay: int(0, 3600, 10),
});

/** An origin as a browser sends it: scheme://host[:port], no path. */
const webOrigin = v.pipe(
  v.string(),
  v.regex(/^https?:\/\/[^\s/?#]+$/, (i) => `an origin is http:// or https:// and a host with an optional :port, no path, not "${i.input}"`),
);

/** The public callback widget (POST /api/callback): off unless configured. */
const callbackWidget = mapping({
  target: v.pipe(text, v.regex(/^(?:group|queue):[A-Za-z0-9_-]{1,64}$/, (i) => `the callback target is group:NAME or queue:NAME, not "${i.input}"`)),
  allowed_origins: v.pipe(v.array(webOrigin), v.minLength(1, 'needs at least one origin')),
  per_number: int(1, 1000, 3),
  number_window: int(1, 86400, 600),
  per_ip: int(1, 10000, 10),
  ip_window: int(1, 86400, 60),
  min_digits: int(1, 32, 5),
  max_digits: int(1, 32, 15),
  ring_time: int(5, 300, 30),
});

const callers = mapping({
  known: v.optional(v.record(callerPattern, destination), {}),
  blacklist: v.optional(v.array(callerPattern), []),
  reject_status: int(400, 699, 603),
  anonymous: optionalDestination,
});

/** Digits pressed during a call for a feature: 1 to 8 of 0-9 * # A-D. */
const featureCode = v.pipe(text, v.regex(/^[0-9*#A-D]{1,8}$/, (i) => `a feature code is 1 to 8 keys of 0-9 * # A-D, not "${i.input}"`));

const features = mapping({
  record_toggle: v.optional(v.nullable(featureCode), '*1'),
  blind_transfer: v.optional(v.nullable(featureCode), '##'),
  attended_transfer: v.optional(v.nullable(featureCode), '*2'),
  park: v.optional(v.nullable(featureCode), '#72'),
  ...dialledFeatureKeys(),
});

/** One optional key per dialled feature code, defaulting to its code (feature-numbers.ts). */
function dialledFeatureKeys(): { [K in DialledFeatureName]: v.OptionalSchema<v.NullableSchema<typeof featureCode, undefined>, string> } {
  const keys = {} as { [K in DialledFeatureName]: v.OptionalSchema<v.NullableSchema<typeof featureCode, undefined>, string> };
  for (const name of DIALLED_FEATURE_NAMES) keys[name] = v.optional(v.nullable(featureCode), DIALLED_FEATURES[name].code);
  return keys;
}

/** Call parking (src/apps/park.ts): off unless configured. */
const parking = v.nullable(
  mapping({
    number: dialNumber,
    slots: v.pipe(
      text,
      v.check((r) => typeof parkingSlots(r) !== 'string', (i) => String(parkingSlots(String(i.input)))),
    ),
    timeout: int(2, 3600, 45),
    fallback: optionalDestination,
  }),
);

const webhook = mapping({
  url: v.pipe(text, v.regex(/^https?:\/\/[^\s/]+/, (i) => `a webhook url is http:// or https:// and a host, not "${i.input}"`)),
  secret: v.pipe(text, v.minLength(16, 'a webhook secret needs at least 16 characters (it keys the HMAC signature)')),
  events: v.optional(v.array(v.picklist(WEBHOOK_EVENTS, (i) => `unknown webhook event ${i.received}; expected one of ${WEBHOOK_EVENTS.join(', ')}`)), [...WEBHOOK_EVENTS]),
});

// A dial-in room (apps/conference.ts); ConfBridge's user and bridge profile options that an office uses.
const conference = v.nullable(
  mapping({
    pin: v.optional(v.nullable(pin), null),
    admin_pin: v.optional(v.nullable(pin), null),
    max_members: int(0, 10000, 0),
    muted: v.optional(v.boolean(), false),
    announce_count: v.optional(v.boolean(), true),
    quiet: v.optional(v.boolean(), false),
    language: v.optional(v.nullable(language), null),
  }),
);
/** Voicemail messages (voicemail:EXT): the longest a caller may speak, the shortest kept, the silence that ends one. */
const voicemail = mapping({
  max_message: int(5, 3600, 180),
  min_message: int(0, 60, 1),
  max_silence: int(0, 600, 10),
});


export const ConfigSchema = mapping({
  data_dir: v.optional(nonEmpty, './data'),
  sip: v.optional(
    mapping({
      listen: v.optional(v.pipe(v.array(listenSpec), v.minLength(1, 'needs at least one listen spec')), ['udp:127.0.0.1:5060']),
      domain: v.optional(nonEmpty, 'pbx.local'),
      external_address: v.optional(v.nullable(hostName), null),
      // Peers in these networks see the PBX's own addresses; every other peer sees the external ones.
      local_networks: v.optional(v.array(cidr), [...DEFAULT_LOCAL_NETWORKS]),
      tls: v.optional(v.nullable(mapping({ cert: nonEmpty, key: nonEmpty, ca: v.optional(v.nullable(nonEmpty), null) })), null),
      max_message_size: int(1024, 1048576, 65535),
      tcp_idle_timeout: int(1, 86400, 600),
      max_connections_per_source: int(1, 100000, 32),
      user_agent: v.optional(nonEmpty, 'tspbx'),
    }),
    {},
  ),
  registration: v.optional(
    mapping({
      min_expires: int(1, 86400, 60),
      max_expires: int(1, 604800, 3600),
      default_expires: int(1, 604800, 3600),
      keepalive_interval: int(0, 3600, 25),
      nat_max_expires: int(0, 604800, 60),
    }),
    {},
  ),
  // SUBSCRIBE/NOTIFY (RFC 6665): MWI, BLF (dialog), presence.
  subscriptions: v.optional(
    mapping({
      min_expires: int(1, 86400, 60),
      max_expires: int(1, 604800, 3600),
      default_expires: int(1, 604800, 3600),
      unsolicited_mwi: v.optional(v.boolean(), true),
    }),
    {},
  ),
  rtp: v.optional(
    mapping({
      address: v.optional(ipAddress, '127.0.0.1'),
      ports: v.optional(portRange, '20000-20999'),
      external_address: v.optional(v.nullable(ipAddress), null),
      timeout: int(1, 3600, 30),
      workers: int(0, 256, 0),
      // What the PBX offers a callee, in order of preference (src/sdp/offer-answer.ts).
      codecs: v.optional(
        v.pipe(v.array(rtpCodec), v.minLength(1, 'needs at least one codec')),
        [...DEFAULT_RTP_CODECS],
      ),
    }),
    {},
  ),
  http: mapping({
    listen: v.optional(hostPort, '127.0.0.1:8088'),
    token: nonEmpty,
    callback: v.optional(v.nullable(callbackWidget), null),
  }),
  security: v.optional(
    mapping({
      nonce_ttl: int(10, 86400, 300),
      slow_after: int(1, 10000, 5),
      ban_after: int(1, 10000, 20),
      window: int(1, 86400, 60),
      ban_time: int(1, 31536000, 600),
      drop_scanners: v.optional(v.boolean(), true),
      // Digest algorithms challenged, most preferred first. MD5 alone by default: clients built on
      // libre (baresip 1.x) refuse a challenge that also offers SHA-256.
      digest_algorithms: v.optional(
        v.pipe(
          v.array(v.picklist(['MD5', 'SHA-256'] as const, (i) => `must be MD5 or SHA-256 (got ${i.received})`)),
          v.minLength(1, 'needs at least one algorithm'),
        ),
        ['MD5'],
      ),
    }),
    {},
  ),
  log: v.optional(mapping({ level: oneOf(['trace', 'debug', 'info', 'warn', 'error'] as const, 'info') }), {}),
  media: v.optional(
    mapping({
      language: v.optional(language, 'en'),
      tones: v.optional(toneCountry, 'us'),
      music_on_hold: v.optional(v.nullable(nonEmpty), null),
    }),
    {},
  ),
  extensions: v.optional(v.record(extensionNumber, extension), {}),
  ivr: v.optional(v.record(name, ivr), {}),
  dialplan: v.optional(v.record(dialNumber, destination), {}),
  groups: v.optional(v.record(name, group), {}),
  queues: v.optional(v.record(name, queue), {}),
  conferences: v.optional(v.record(name, conference), {}),
  recording: v.optional(recording, {}),
  schedules: v.optional(v.record(name, schedule), {}),
  callers: v.optional(callers, {}),
  missed_calls: v.optional(missedCalls, {}),
  features: v.optional(features, {}),
  voicemail: v.optional(voicemail, {}),
  trunks: v.optional(v.record(name, trunk), {}),
  // DID -> destination for calls from trunks; `default` for any other DID.
  inbound: v.optional(v.record(v.pipe(v.string(), v.regex(/^(?:default|\+?[0-9*#]{1,32})$/, (i) => `DID ${i.received} must be digits with an optional leading +, or default`)), destination), {}),
  outbound: v.optional(v.array(outboundRoute), []),
  outbound_limits: v.optional(outboundLimits, {}),
  parking: v.optional(parking, null),
  webhooks: v.optional(v.array(webhook), []),
  speed_dial: v.optional(v.record(speedDialKey, destination), {}),
});

export type RawConfig = v.InferOutput<typeof ConfigSchema>;

/** Valibot's type names as a person reads them. */
function describe(received: string): string {
  switch (received) {
    case 'Object':
      return 'a mapping';
    case 'Array':
      return 'a list';
    case 'null':
    case 'undefined':
      return 'nothing';
    default:
      return received;
  }
}

/** Message for issues without a specific one: wrong types mostly. */
export function genericMessage(issue: v.BaseIssue<unknown>): string {
  const expected = issue.expected === null ? 'another value' : describeExpected(issue.expected);
  return `expected ${expected}, got ${describe(issue.received)}`;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'Object':
      return 'a mapping';
    case 'Array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    default:
      return expected;
  }
}
