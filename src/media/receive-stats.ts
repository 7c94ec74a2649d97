// Receive statistics of one leg's latched stream, as native/relay.c keeps them: RFC 3550 A.1
// sequence validation, A.3 cumulative loss and A.8 interarrival jitter. update() allocates nothing.
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MIN_SEQUENTIAL = 2;
const RTP_SEQ_MOD = 1 << 16;

export class ReceiveStats {
  clockRate = 8000;
  #started = false;
  #maxSeq = 0;
  #cycles = 0;
  #baseSeq = 0;
  #badSeq = 0;
  #probation = 0;
  #received = 0;
  /** Lost by earlier SSRCs of the leg. */
  #lostBefore = 0;
  #lastTs = 0;
  /** In RTP timestamp units, as are the two below. */
  #lastArrival = 0;
  #jitter = 0;

  /** RFC 3550 A.3: expected less received; duplicates can make that negative, reported as 0. */
  get packetsLost(): number {
    if (!this.#started || this.#probation > 0) return this.#lostBefore;
    const lost = this.#cycles + this.#maxSeq - this.#baseSeq + 1 - this.#received;
    return this.#lostBefore + (lost > 0 ? lost : 0);
  }

  get jitterMs(): number {
    return (this.#jitter * 1000) / this.clockRate;
  }

  /** A new SSRC (or clock rate) on the leg: what the previous one lost stays counted. */
  newSource(): void {
    this.#lostBefore = this.packetsLost;
    this.#started = false;
  }

  update(seq: number, rtpTimestamp: number, arrivalMs: number): void {
    const arrival = (arrivalMs * this.clockRate) / 1000;
    if (!this.#started) {
      this.#started = true;
      this.#initSeq(seq);
      this.#maxSeq = (seq - 1) & 0xffff;
      this.#probation = MIN_SEQUENTIAL;
      this.#jitter = 0;
    } else {
      // A.8: D(i-1,i) = (Rj - Ri) - (Sj - Si), timestamps modulo 2^32
      const d = Math.abs(arrival - this.#lastArrival - ((rtpTimestamp - this.#lastTs) | 0));
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#lastTs = rtpTimestamp;
    this.#lastArrival = arrival;
    this.#updateSeq(seq);
  }

  #initSeq(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = RTP_SEQ_MOD + 1;
    this.#cycles = 0;
    this.#received = 0;
  }

  /** A.1 update_seq. */
  #updateSeq(seq: number): void {
    const udelta = (seq - this.#maxSeq) & 0xffff;
    if (this.#probation > 0) {
      if (seq === ((this.#maxSeq + 1) & 0xffff)) {
        this.#probation--;
        this.#maxSeq = seq;
        if (this.#probation === 0) {
          this.#initSeq(seq);
          this.#received++;
        }
      } else {
        this.#probation = MIN_SEQUENTIAL - 1;
        this.#maxSeq = seq;
      }
      return;
    }
    if (udelta < MAX_DROPOUT) {
      if (seq < this.#maxSeq) this.#cycles += RTP_SEQ_MOD;
      this.#maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      if (seq !== this.#badSeq) {
        this.#badSeq = (seq + 1) & 0xffff;
        return;
      }
      this.#initSeq(seq);
    }
    this.#received++;
  }
}
