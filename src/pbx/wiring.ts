// How the PBX's parts hear each other: SIP requests, ACKs and stray responses go to the registrar,
// call control or the subscription server; what the media workers report (digits, RTP timeouts,
// failed recordings) goes to call control; voicemail, registrations and calls feed MWI, presence
// and BLF; calls and registrations tell the queues which agents are busy or reachable. src/pbx.ts
// and the in-process test PBX both wire through here.
import type { CallControl } from '../calls/control.js';
import type { EventServices } from '../events/services.js';
import type { MediaEngine } from '../media/engine.js';
import type { QueueService } from '../queues/service.js';
import type { Registrar } from '../registrar/registrar.js';
import type { TransactionLayer } from '../sip/transaction/index.js';
import type { VoicemailStore } from '../store/voicemail-store.js';
import type { Log } from '../util/log.js';
import { dispatchRequest } from './dispatch.js';

export interface PbxParts {
  transactions: TransactionLayer;
  registrar: Registrar;
  calls: CallControl;
  media: MediaEngine;
  events: EventServices;
  voicemail: VoicemailStore;
  queues: QueueService;
  log: Log;
  /** The Server header value of answers the dispatcher gives itself. */
  server: () => string;
}

export function wireParts(p: PbxParts): void {
  const { transactions, registrar, calls, media, events, log } = p;
  p.voicemail.on('change', (mailbox) => events.mailboxChanged(mailbox));
  registrar.on('change', (ext) => {
    events.registrationChanged(ext);
    p.queues.registrationChanged();
  });
  calls.on('state', (e) => {
    events.callState(e);
    p.queues.callState(e);
  });

  transactions.onRequest = (st) =>
    dispatchRequest(st, {
      register: (s) => registrar.handleRegister(s),
      call: (s) => calls.handleRequest(s),
      subscribe: (s) => events.handleSubscribe(s),
      allowEvents: events.server.allowEvents,
      server: p.server,
    });
  transactions.onAck = (ack) => {
    if (!calls.handleAck(ack)) log.debug({ callId: ack.headers.get('call-id') }, 'ACK matched no dialog; dropped');
  };
  transactions.onStrayResponse = (res) => {
    if (!calls.handleStrayResponse(res)) log.debug({ callId: res.headers.get('call-id'), status: res.status }, 'response matched no transaction; dropped');
  };
  media.on('rtp-timeout', (legId) => calls.rtpTimeout(legId));
  // Digits the media workers hear (RFC 4733, in-band) reach the call as INFO digits do.
  media.on('dtmf', (legId, digit, method) => calls.mediaDtmf(legId, digit, method));
  media.on('record-failed', (recordingId) => calls.recordFailed(recordingId));
}
