// Prometheus text exposition (format 0.0.4) of the PBX's gauges and counters, served at
// GET /metrics with the bearer token (Prometheus: `authorization: { credentials: TOKEN }`).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface MetricsSnapshot {
  registrations: number;
  /** Calls in progress by state (ringing, answered, ...). */
  calls: Record<string, number>;
  /** Finished calls by CDR status since start. */
  finished: Record<string, number>;
  webhooks: { pending: number; failed: number };
  /** Media legs warned about missing RTP since start: never got any (one-way audio, NAT), or it stopped. */
  noRtp?: { never: number; stopped: number };
  /** Outside calls in progress (the spend guard's count), and calls its limits refused since start. */
  outside?: { active: number; limited: Array<{ scope: string; reason: string; count: number }> };
  /** RTP loss of each measured call leg (what its phone sent the PBX), percent, at the call's end. */
  rtpLoss?: Histogram;
  /** Seconds callers waited in a queue before an agent answered. */
  queueWait?: Histogram;
  /** Each queue now: callers and callback requests waiting, the longest wait in seconds. */
  queues?: Array<{ queue: string; waiting: number; callbacks_waiting: number; longest_wait_s: number }>;
}

/** A Prometheus histogram: counts of observations up to each bound, their sum and count. */
export class Histogram {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = [...bounds].sort((a, b) => a - b);
    this.#counts = this.#bounds.map(() => 0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    for (let i = 0; i < this.#bounds.length; i++) if (value <= this.#bounds[i]!) this.#counts[i]!++;
    this.#sum += value;
    this.#count++;
  }

  /** The samples of metric `name`: cumulative buckets (le), +Inf, _sum and _count. */
  samples(name: string, extra: Record<string, string> = {}): Array<{ name: string; labels?: Record<string, string>; value: number }> {
    return [
      ...this.#bounds.map((b, i) => ({ name: `${name}_bucket`, labels: { ...extra, le: String(b) }, value: this.#counts[i]! })),
      { name: `${name}_bucket`, labels: { ...extra, le: '+Inf' }, value: this.#count },
      { name: `${name}_sum`, labels: extra, value: this.#sum },
      { name: `${name}_count`, labels: extra, value: this.#count },
    ];
  }
}

interface Metric {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  /** `name` set: a histogram's _bucket, _sum or _count line. */
  samples: Array<{ name?: string; labels?: Record<string, string>; value: number }>;
}

/** Watches the event loop's delay (the PBX's responsiveness) from start to close. */
export class LoopLag {
  readonly #h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.#h.enable();
  }

  /** Seconds: p50, p99 and max since start. */
  seconds(): { p50: number; p99: number; max: number } {
    return { p50: this.#h.percentile(50) / 1e9, p99: this.#h.percentile(99) / 1e9, max: this.#h.max / 1e9 };
  }

  close(): void {
    this.#h.disable();
  }
}

export function metricsText(s: MetricsSnapshot, lag: { p50: number; p99: number; max: number }): string {
  const metrics: Metric[] = [
    { name: 'tspbx_registrations', help: 'Registered phone contacts.', type: 'gauge', samples: [{ value: s.registrations }] },
    { name: 'tspbx_calls', help: 'Calls in progress by state.', type: 'gauge', samples: Object.entries(s.calls).map(([state, value]) => ({ labels: { state }, value })) },
    { name: 'tspbx_calls_finished_total', help: 'Calls finished since start, by CDR status.', type: 'counter', samples: Object.entries(s.finished).map(([status, value]) => ({ labels: { status }, value })) },
    {
      name: 'tspbx_no_rtp_warnings_total',
      help: 'Media legs with no RTP a few seconds into a bridge: never any since answer (one-way audio, often NAT), or stopped.',
      type: 'counter',
      samples: [{ labels: { kind: 'never' }, value: s.noRtp?.never ?? 0 }, { labels: { kind: 'stopped' }, value: s.noRtp?.stopped ?? 0 }],
    },
    { name: 'tspbx_webhook_outbox', help: 'Webhook events waiting for delivery, and given up.', type: 'gauge', samples: [{ labels: { state: 'pending' }, value: s.webhooks.pending }, { labels: { state: 'failed' }, value: s.webhooks.failed }] },
    ...(s.outside === undefined
      ? []
      : [
          { name: 'tspbx_outside_calls', help: 'Outside calls in progress (emergency calls not counted).', type: 'gauge' as const, samples: [{ value: s.outside.active }] },
          {
            name: 'tspbx_outside_calls_limited_total',
            help: 'Outside calls refused by a spend guard since start, by scope (extension, pbx) and limit.',
            type: 'counter' as const,
            samples: s.outside.limited.map((l) => ({ labels: { scope: l.scope, reason: l.reason }, value: l.count })),
          },
        ]),
    ...(s.rtpLoss === undefined
      ? []
      : [{ name: 'tspbx_rtp_loss_percent', help: 'RTP packets lost on the way from a phone to the PBX, percent, per measured call leg at the end of its call.', type: 'histogram' as const, samples: s.rtpLoss.samples('tspbx_rtp_loss_percent') }]),
    ...(s.queueWait === undefined
      ? []
      : [{ name: 'tspbx_queue_wait_seconds', help: 'Seconds a caller waited in a queue before an agent answered.', type: 'histogram' as const, samples: s.queueWait.samples('tspbx_queue_wait_seconds') }]),
    ...(s.queues === undefined
      ? []
      : [
          { name: 'tspbx_queue_waiting', help: 'Callers waiting in each queue now.', type: 'gauge' as const, samples: s.queues.map((q) => ({ labels: { queue: q.queue }, value: q.waiting })) },
          { name: 'tspbx_queue_callbacks_waiting', help: 'Callback requests waiting their turn in each queue.', type: 'gauge' as const, samples: s.queues.map((q) => ({ labels: { queue: q.queue }, value: q.callbacks_waiting })) },
          { name: 'tspbx_queue_longest_wait_seconds', help: 'Seconds the longest-waiting caller of each queue has waited so far.', type: 'gauge' as const, samples: s.queues.map((q) => ({ labels: { queue: q.queue }, value: q.longest_wait_s })) },
        ]),
    {
      name: 'tspbx_event_loop_delay_seconds',
      help: 'Event loop delay since start (quantiles and max).',
      type: 'gauge',
      samples: [{ labels: { quantile: '0.5' }, value: lag.p50 }, { labels: { quantile: '0.99' }, value: lag.p99 }, { labels: { quantile: '1' }, value: lag.max }],
    },
  ];
  let out = '';
  for (const m of metrics) {
    out += `# HELP ${m.name} ${m.help}\n# TYPE ${m.name} ${m.type}\n`;
    for (const sample of m.samples) out += `${sample.name ?? m.name}${labels(sample.labels)} ${Number.isFinite(sample.value) ? sample.value : 0}\n`;
  }
  return out;
}

function labels(l: Record<string, string> | undefined): string {
  if (l === undefined || Object.keys(l).length === 0) return '';
  return `{${Object.entries(l).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`).join(',')}}`;
}
