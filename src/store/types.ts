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
