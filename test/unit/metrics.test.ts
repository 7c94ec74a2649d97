import t from 'tap';
import { Histogram, metricsText } from '../../src/api/metrics.js';

const LAG = { p50: 0.001, p99: 0.002, max: 0.01 };
const BASE = { registrations: 2, calls: { answered: 1 }, finished: { answered: 3 }, webhooks: { pending: 0, failed: 0 } };

t.test('a histogram counts each observation in every bucket it fits, cumulatively, with +Inf, sum and count', async (t) => {
  const loss = new Histogram([5, 1, 2]);
  for (const v of [0, 1.5, 3, 50, Number.NaN]) loss.observe(v);
  const text = metricsText({ ...BASE, rtpLoss: loss }, LAG);
  t.match(text, /^# TYPE tspbx_rtp_loss_percent histogram$/m);
  const lines = text.split('\n').filter((l) => l.startsWith('tspbx_rtp_loss_percent'));
  t.same(lines, [
    'tspbx_rtp_loss_percent_bucket{le="1"} 1',
    'tspbx_rtp_loss_percent_bucket{le="2"} 2',
    'tspbx_rtp_loss_percent_bucket{le="5"} 3',
    'tspbx_rtp_loss_percent_bucket{le="+Inf"} 4',
    'tspbx_rtp_loss_percent_sum 54.5',
    'tspbx_rtp_loss_percent_count 4',
  ], 'NaN is not counted; bounds are sorted');
});

t.test('queue gauges are labelled by queue, and queue waits are a histogram', async (t) => {
  const wait = new Histogram([10, 60]);
  wait.observe(12);
  const text = metricsText({ ...BASE, queueWait: wait, queues: [{ queue: 'sup"port', waiting: 2, callbacks_waiting: 1, longest_wait_s: 95 }] }, LAG);
  t.match(text, /^tspbx_queue_waiting\{queue="sup\\"port"\} 2$/m, 'label values escaped');
  t.match(text, /^tspbx_queue_callbacks_waiting\{queue="sup\\"port"\} 1$/m);
  t.match(text, /^tspbx_queue_longest_wait_seconds\{queue="sup\\"port"\} 95$/m);
  t.match(text, /^tspbx_queue_wait_seconds_bucket\{le="10"\} 0$/m);
  t.match(text, /^tspbx_queue_wait_seconds_bucket\{le="60"\} 1$/m);
  t.match(text, /^tspbx_queue_wait_seconds_count 1$/m);
  t.notMatch(metricsText(BASE, LAG), /tspbx_queue_waiting/, 'absent without queues');
});
