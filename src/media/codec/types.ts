/**
 * An audio codec as the media pipeline sees it: PCM (signed 16-bit mono, one 20 ms frame) in and
 * out, RTP payload bytes on the other side. Instances hold codec state, the encoder's and the
 * decoder's apart (so one instance serves both directions of one leg), and allocate nothing per frame.
 */
export interface AudioCodec {
  /** SDP encoding name: 'PCMU' | 'PCMA' | 'G722' | 'opus' | 'L16'. */
  readonly name: string;
  /** RTP clock rate as in SDP (G722: 8000, opus: 48000). */
  readonly clockRate: number;
  /** PCM rate of encode input and decode output (G722: 16000, opus: 48000). */
  readonly sampleRate: number;
  /** PCM samples in 20 ms at sampleRate. */
  readonly frameSamples: number;
  /** RTP timestamp increment per 20 ms frame. */
  readonly timestampStep: number;
  /** Encodes frameSamples of pcm into out; returns the bytes written. */
  encode(pcm: Int16Array, out: Uint8Array): number;
  /** Decodes one payload into out; returns the samples written, -1 for a bad payload. */
  decode(payload: Uint8Array, out: Int16Array): number;
  /** Fills out with one lost frame (Opus: FEC from next when given); returns the samples written. */
  conceal(out: Int16Array, next: Uint8Array | null): number;
  /**
   * The loss in percent that the far end reports about what this codec encodes (RTCP, RFC 3550
   * 6.4.1 fraction lost), so that an encoder with in-band FEC (Opus) sizes it: none while nothing
   * is lost. Codecs without FEC have no such method.
   */
  expectLoss?(percent: number): void;
  /** Encoder complexity 0..10, lowered when a worker is loaded (Opus); codecs without the knob have no such method. */
  setComplexity?(complexity: number): void;
  /** Forgets all codec state (a new stream starts). */
  reset(): void;
  /** Frees what the codec holds; safe to call twice. */
  close(): void;
}

/** Payload bytes of one 20 ms frame, an upper bound over every codec here (L16 at 48 kHz). */
export const MAX_PAYLOAD_BYTES = 1920;
