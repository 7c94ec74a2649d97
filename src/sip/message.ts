// The SIP message model (RFC 3261 section 7). The parser (parser.ts) builds these, the
// serializer writes them. Headers keep their raw values until someone asks for a parsed form
// (grammar.ts parses Via, name-addr, CSeq, ... on demand).

/** Where a message came from or goes to. `connectionId` names the TCP/TLS connection it arrived on. */
export interface Peer {
  transport: TransportName;
  address: string;
  port: number;
  connectionId: number | null;
}

export type TransportName = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** Compact header forms (RFC 3261 section 7.3.3 and later RFCs) to their long names, lower case. */
export const COMPACT_HEADERS: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  r: 'refer-to',
  b: 'referred-by',
  o: 'event',
  u: 'allow-events',
  x: 'session-expires',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
};

/** Canonical spelling used when serializing a header we know. */
const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  'rseq': 'RSeq',
  'rack': 'RAck',
  'p-asserted-identity': 'P-Asserted-Identity',
  'p-preferred-identity': 'P-Preferred-Identity',
};

/** Normalises a header name as it appears on the wire to the key used in `Headers` (lower case, long form). */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT_HEADERS[lower] ?? lower;
}

/** The wire spelling of a header key: `call-id` -> `Call-ID`, `content-type` -> `Content-Type`. */
export function headerDisplayName(key: string): string {
  const known = CANONICAL[key];
  if (known !== undefined) return known;
  let out = '';
  let up = true;
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    out += up ? ch.toUpperCase() : ch;
    up = ch === '-';
  }
  return out;
}

/**
 * Ordered header fields. Each entry is one header line's value (after unfolding), so a header that
 * appeared on two lines has two entries; a comma-separated line stays one entry until
 * `grammar.splitList` is asked to split it.
 */
export class Headers {
  readonly #names: string[] = [];
  readonly #values: string[] = [];

  /** Number of header lines. */
  get size(): number {
    return this.#names.length;
  }

  /** Key (lower case, long form) of line `i`, 0 <= i < size: an index walk for hot paths. */
  nameAt(i: number): string {
    return this.#names[i]!;
  }

  /** Value of line `i`, 0 <= i < size. */
  valueAt(i: number): string {
    return this.#values[i]!;
  }

  /** First value of a header, or null. `name` may be any case or compact form. */
  get(name: string): string | null {
    const key = headerKey(name);
    for (let i = 0; i < this.#names.length; i++) if (this.#names[i] === key) return this.#values[i]!;
    return null;
  }

  /** Every line's value for a header, in order. */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (let i = 0; i < this.#names.length; i++) if (this.#names[i] === key) out.push(this.#values[i]!);
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== null;
  }

  /** Appends a line. */
  add(name: string, value: string): this {
    this.#names.push(headerKey(name));
    this.#values.push(value);
    return this;
  }

  /** Puts a line at the top (for Via and Record-Route). */
  prepend(name: string, value: string): this {
    this.#names.unshift(headerKey(name));
    this.#values.unshift(value);
    return this;
  }

  /** Replaces every line of a header with one value (keeps the position of the first). */
  set(name: string, value: string): this {
    const key = headerKey(name);
    const first = this.#names.indexOf(key);
    if (first < 0) return this.add(key, value);
    this.#values[first] = value;
    for (let i = this.#names.length - 1; i > first; i--) {
      if (this.#names[i] === key) {
        this.#names.splice(i, 1);
        this.#values.splice(i, 1);
      }
    }
    return this;
  }

  /** Removes every line of a header. */
  delete(name: string): this {
    const key = headerKey(name);
    for (let i = this.#names.length - 1; i >= 0; i--) {
      if (this.#names[i] === key) {
        this.#names.splice(i, 1);
        this.#values.splice(i, 1);
      }
    }
    return this;
  }

  /** Removes the first line of a header (the top Via when a response goes back). */
  deleteFirst(name: string): this {
    const i = this.#names.indexOf(headerKey(name));
    if (i >= 0) {
      this.#names.splice(i, 1);
      this.#values.splice(i, 1);
    }
    return this;
  }

  /** Replaces the first line of a header. */
  setFirst(name: string, value: string): this {
    const key = headerKey(name);
    const i = this.#names.indexOf(key);
    if (i < 0) return this.add(key, value);
    this.#values[i] = value;
    return this;
  }

  /** [key, value] pairs in order. */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#names.length; i++) yield [this.#names[i]!, this.#values[i]!];
  }

  clone(): Headers {
    const h = new Headers();
    for (let i = 0; i < this.#names.length; i++) h.add(this.#names[i]!, this.#values[i]!);
    return h;
  }
}

const EMPTY = Buffer.alloc(0);

export class SipRequest {
  readonly kind = 'request' as const;
  method: string;
  /** The Request-URI as written. */
  uri: string;
  version = 'SIP/2.0';
  headers: Headers;
  body: Buffer;

  constructor(method: string, uri: string, headers: Headers = new Headers(), body: Buffer = EMPTY) {
    this.method = method;
    this.uri = uri;
    this.headers = headers;
    this.body = body;
  }
}

export class SipResponse {
  readonly kind = 'response' as const;
  status: number;
  reason: string;
  version = 'SIP/2.0';
  headers: Headers;
  body: Buffer;

  constructor(status: number, reason: string, headers: Headers = new Headers(), body: Buffer = EMPTY) {
    this.status = status;
    this.reason = reason;
    this.headers = headers;
    this.body = body;
  }
}

export type SipMessage = SipRequest | SipResponse;

/** Default reason phrases (RFC 3261 section 21 and friends). */
export const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

export function reasonFor(status: number): string {
  return REASONS[status] ?? (status < 200 ? 'Progress' : status < 300 ? 'OK' : 'Error');
}

/**
 * Builds a response to a request as RFC 3261 section 8.2.6.2 says: Via, From, To, Call-ID and CSeq
 * copied, a To tag added when `toTag` is given and the To has none.
 */
export function responseTo(req: SipRequest, status: number, reason = reasonFor(status), toTag?: string): SipResponse {
  const h = new Headers();
  for (const via of req.headers.getAll('via')) h.add('via', via);
  const from = req.headers.get('from');
  if (from !== null) h.add('from', from);
  let to = req.headers.get('to');
  if (to !== null && toTag !== undefined && status > 100 && !/;\s*tag\s*=/i.test(to)) to = `${to};tag=${toTag}`;
  if (to !== null) h.add('to', to);
  const callId = req.headers.get('call-id');
  if (callId !== null) h.add('call-id', callId);
  const cseq = req.headers.get('cseq');
  if (cseq !== null) h.add('cseq', cseq);
  return new SipResponse(status, reason, h);
}
