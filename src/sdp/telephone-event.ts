// telephone-event (RFC 4733) in the descriptions the PBX sends: taken out for a phone that gets its
// digits another way (SIP INFO, in-band), and kept in the answer to a phone that offered it even
// when the other leg has none (the PBX converts between the methods, so each leg negotiates alone).
import type { Codec } from './offer-answer.js';
import type { MediaSection, Sdp } from './types.js';

const TELEPHONE_EVENT = 'telephone-event';

function isEvents(encoding: string): boolean {
  return encoding.toLowerCase() === TELEPHONE_EVENT;
}

/** The stream the PBX anchors in a description of its own: the first audio stream not rejected. */
function anchored(sdp: Sdp): MediaSection | null {
  return sdp.media.find((m) => m.media === 'audio' && m.port !== 0) ?? null;
}

/** `sdp` without telephone-event formats in its anchored stream (changed in place, returned). */
export function withoutTelephoneEvent(sdp: Sdp): Sdp {
  const m = anchored(sdp);
  if (m === null) return sdp;
  const events = new Set(m.rtpmaps.filter((r) => isEvents(r.encoding)).map((r) => String(r.pt)));
  if (events.size === 0) return sdp;
  m.formats = m.formats.filter((f) => !events.has(f));
  m.rtpmaps = m.rtpmaps.filter((r) => !events.has(String(r.pt)));
  m.fmtps = m.fmtps.filter((f) => !events.has(f.format));
  return sdp;
}

/**
 * `sdp` with `events` in its anchored stream when it has no telephone-event yet and the payload
 * type is free (changed in place, returned).
 */
export function withTelephoneEvent(sdp: Sdp, events: Codec): Sdp {
  const m = anchored(sdp);
  if (m === null || m.rtpmaps.some((r) => isEvents(r.encoding)) || m.formats.includes(String(events.pt))) return sdp;
  m.formats.push(String(events.pt));
  m.rtpmaps.push({ pt: events.pt, encoding: events.encoding, clockRate: events.clockRate, channels: events.channels });
  if (events.fmtp !== null) m.fmtps.push({ format: String(events.pt), params: events.fmtp });
  return sdp;
}

/** The telephone-event format of `codecs` at `clockRate` (RFC 4733 7.1.1: the audio's rate), else the first one. */
export function eventsFormat(codecs: readonly Codec[], clockRate: number): Codec | null {
  const events = codecs.filter((c) => isEvents(c.encoding));
  return events.find((c) => c.clockRate === clockRate) ?? events[0] ?? null;
}
