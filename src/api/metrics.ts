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
}

interface Metric {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Array<{ labels?: Record<string, string>; value: number }>;
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
    for (const sample of m.samples) out += `${m.name}${labels(sample.labels)} ${Number.isFinite(sample.value) ? sample.value : 0}\n`;
  }
  return out;
}

function labels(l: Record<string, string> | undefined): string {
  if (l === undefined) return '';
  return `{${Object.entries(l).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`).join(',')}}`;
}
