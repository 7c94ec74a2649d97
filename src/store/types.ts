/** One finished call as stored (CONTRACT: `pbx cdr --json` rows). Times are ISO 8601 or null. */
export interface CdrRow {
  id: string;
  call_id: string;
  from: string;
  to: string;
  status: 'answered' | 'missed' | 'busy' | 'failed' | 'voicemail';
  /** Why it ended: a SIP status, "caller-bye", "callee-bye", "rtp-timeout", "cancel", ... */
  reason: string;
  started_at: string;
  answered_at: string | null;
  ended_at: string;
  duration_s: number;
  billsec: number;
  recording: string | null;
  /**
   * Call quality per media leg, measured by the PBX on what each phone sent it; null when the call
   * had no media or its statistics could not be fetched in time. Rows read from the store always
   * carry it; a row written without it stores none.
   */
  quality?: CdrQuality | null;
  /**
   * Where the call went, steps joined by ">": "ivr:main>1002" (a menu, then the extension that
   * answered or was tried last). null for a call that went straight to its destination. Rows read
   * from the store always carry it; a row written without it stores none.
   */
  path?: string | null;
  /**
   * A missed call: no person answered a call that was for people (it reached an extension, a
   * group, a queue, an IVR menu or a voicemail box), whatever the reason (no answer, busy, the
   * caller hung up in the menu). Calls refused before that (caller-ID rules, unknown number) and
   * calls to PBX services (own mailbox, conference) are not. Rows read from the store always carry
   * it; a row written without it is missed when its status is 'missed'.
   */
  missed?: boolean;
}

/**
 * An entry of the callback list (`pbx missed --json`): a number whose calls nobody answered, to be
 * called back. One open entry per number; it closes when a later call with that number is answered
 * (either direction) or by hand.
 */
export interface MissedCall {
  /** "m" and a sequence number ("m7"): never taken for a phone number. */
  id: string;
  /** The caller's number: who to call back. */
  number: string;
  /** How many missed calls the entry holds. */
  calls: number;
  /** When the first and the last of them started ringing (ISO 8601). */
  first_at: string;
  last_at: string;
  /** The last missed call's number dialled, path through apps, CDR status and reason. */
  to: string;
  path: string | null;
  status: CdrRow['status'];
  reason: string;
  /** The CDR id of the last missed call. */
  cdr_id: string;
  /** When and how the entry was closed; null while open. */
  done_at: string | null;
  done_by: 'answered' | 'manual' | null;
  /** The CDR id of the answered call that closed it. */
  done_cdr: string | null;
}

/** Quality of the call legs: `caller` is what the caller's phone sent, `callee` the callee's. */
export interface CdrQuality {
  caller: LegQuality | null;
  callee: LegQuality | null;
}

export interface LegQuality {
  /** RTP packets lost on the way from the phone to the PBX, percent. */
  loss_pct: number;
  /** Interarrival jitter (RFC 3550), ms. */
  jitter_ms: number;
  /** Round trip PBX–phone from the phone's RTCP, ms; null when the phone sent no reports. */
  rtt_ms: number | null;
  /** Estimated mean opinion score, 1 to 4.5 (simplified ITU-T G.107 E-model). */
  mos: number;
}

/** A registration binding as stored; survives restarts. */
export interface BindingRow {
  extension: string;
  /** The Contact URI the phone registered. */
  contact: string;
  /** Where packets really come from (NAT): transport, address, port. */
  transport: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
  source_address: string;
  source_port: number;
  /** Epoch ms. */
  expires_at: number;
  user_agent: string;
  call_id: string;
  cseq: number;
  /** RFC 5626 instance id, when the phone sent +sip.instance. */
  instance: string | null;
}

/**
 * A webhook delivery written with the CDR row whose event it is (call.ended, call.missed), in the
 * same transaction: a crash cannot keep the row and lose its webhook, or the reverse.
 */
export interface OutboxEntry {
  url: string;
  event: string;
  /** The JSON body to POST. */
  body: string;
  /** ms since the epoch: when it was queued and first due. */
  at: number;
}
