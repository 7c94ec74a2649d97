// Scanner defence (CONTRACT "Bad input"): authentication failures are counted per source
// address — never per a header an attacker writes — and slow down, then ban, that address.
// Known scanner User-Agents can be dropped silently as an extra layer.
import { realClock, type Clock } from '../sip/transaction/types.js';
import { PbxError } from '../util/errors.js';
import type { Log } from '../util/log.js';

export interface GuardOptions {
  /** Failures within the window after which answers to this address are delayed. */
  slowAfter: number;
  /** Failures within the window that ban the address. */
  banAfter: number;
  windowS: number;
  banTimeS: number;
  dropScanners: boolean;
  log: Log;
  clock?: Clock;
  /** Addresses tracked at once; the oldest record is forgotten first. */
  maxEntries?: number;
}

interface SourceRecord {
  failures: number;
  /** Epoch ms of the first failure counted in the current window. */
  windowStart: number;
  /** Epoch ms the ban ends, 0 when not banned. */
  bannedUntil: number;
}

/** User-Agents of SIP scanners and war-dialers (SIPVicious writes "friendly-scanner" by default). */
const SCANNER_UA = /friendly-scanner|sipvicious|sundayddr|sipcli|vaxsipuseragent|iwar|sivus|pplsip|sip-scan|smap/i;
const DELAY_BASE_MS = 250;
const DELAY_MAX_MS = 8000;
const SWEEP_MS = 10_000;
const DEFAULT_MAX_ENTRIES = 100_000;

export class Guard {
  readonly #opts: Required<Pick<GuardOptions, 'slowAfter' | 'banAfter' | 'dropScanners'>>;
  readonly #windowMs: number;
  readonly #banMs: number;
  readonly #log: GuardOptions['log'];
  readonly #clock: Clock;
  readonly #max: number;
  readonly #table = new Map<string, SourceRecord>();
  #sweepTimer: unknown = null;
  #closed = false;

  constructor(opts: GuardOptions) {
    for (const k of ['slowAfter', 'banAfter', 'windowS', 'banTimeS'] as const) {
      if (!(opts[k] >= 0)) throw new PbxError('PBX_ERR_GUARD_OPTION', `${k} must be a number >= 0`);
    }
    this.#opts = { slowAfter: opts.slowAfter, banAfter: opts.banAfter, dropScanners: opts.dropScanners };
    this.#windowMs = opts.windowS * 1000;
    this.#banMs = opts.banTimeS * 1000;
    this.#log = opts.log;
    this.#clock = opts.clock ?? realClock;
    this.#max = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#armSweep();
  }

  /** Number of addresses tracked (failing or banned). */
  get size(): number {
    return this.#table.size;
  }

  isBanned(address: string): boolean {
    const r = this.#table.get(address);
    if (r === undefined || r.bannedUntil === 0) return false;
    if (this.#clock.now() < r.bannedUntil) return true;
    this.#unban(address, r);
    return false;
  }

  /** Counts a failed authentication from this address; bans it at `banAfter` failures within the window. */
  recordFailure(address: string): void {
    const now = this.#clock.now();
    let r = this.#table.get(address);
    if (r !== undefined && r.bannedUntil !== 0 && now >= r.bannedUntil) {
      this.#unban(address, r);
      r = undefined;
    }
    if (r === undefined) {
      r = { failures: 0, windowStart: now, bannedUntil: 0 };
      this.#insert(address, r);
    } else if (r.bannedUntil === 0 && now - r.windowStart > this.#windowMs) {
      r.failures = 0;
      r.windowStart = now;
    }
    r.failures++;
    if (r.bannedUntil === 0 && this.#opts.banAfter > 0 && r.failures >= this.#opts.banAfter) {
      r.bannedUntil = now + this.#banMs;
      this.#log.warn(
        { address, failures: r.failures, until: new Date(r.bannedUntil).toISOString() },
        'source banned after repeated authentication failures',
      );
    }
  }

  /** A successful authentication forgets the address's failures. */
  recordSuccess(address: string): void {
    const r = this.#table.get(address);
    if (r !== undefined && r.bannedUntil === 0) this.#table.delete(address);
  }

  /** How long to wait before answering this address: 0 until `slowAfter` failures, then doubling. */
  delayMs(address: string): number {
    const r = this.#table.get(address);
    if (r === undefined || r.failures <= this.#opts.slowAfter) return 0;
    if (this.#clock.now() - r.windowStart > this.#windowMs && r.bannedUntil === 0) return 0;
    const steps = Math.min(r.failures - this.#opts.slowAfter - 1, 16);
    return Math.min(DELAY_BASE_MS * 2 ** steps, DELAY_MAX_MS);
  }

  /** True when dropping scanners is on and this User-Agent is a known scanner's. */
  isScanner(userAgent: string | null): boolean {
    return this.#opts.dropScanners && userAgent !== null && SCANNER_UA.test(userAgent);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweepTimer !== null) this.#clock.clearTimeout(this.#sweepTimer);
    this.#sweepTimer = null;
    this.#table.clear();
  }

  #insert(address: string, r: SourceRecord): void {
    if (this.#table.size >= this.#max) {
      const oldest = this.#table.keys().next().value as string;
      this.#table.delete(oldest);
    }
    this.#table.set(address, r);
  }

  #unban(address: string, r: SourceRecord): void {
    this.#table.delete(address);
    this.#log.info({ address, failures: r.failures }, 'source unbanned');
  }

  /** Ends bans that ran out (so the unban is logged on time) and forgets windows that closed. */
  #sweep(): void {
    const now = this.#clock.now();
    for (const [address, r] of this.#table) {
      if (r.bannedUntil !== 0) {
        if (now >= r.bannedUntil) this.#unban(address, r);
      } else if (now - r.windowStart > this.#windowMs) {
        this.#table.delete(address);
      }
    }
  }

  #armSweep(): void {
    this.#sweepTimer = this.#clock.setTimeout(() => {
      if (this.#closed) return;
      this.#sweep();
      this.#armSweep();
    }, Math.min(SWEEP_MS, Math.max(1000, this.#banMs)));
  }
}
