// Webhook signatures: `X-Tspbx-Signature: t=UNIX_SECONDS,v1=HEX` where HEX is the HMAC-SHA256,
// keyed with the hook's secret, of "UNIX_SECONDS.BODY". The receiver recomputes it and refuses a
// timestamp far from its clock (replays).
import { createHmac, timingSafeEqual } from 'node:crypto';

export function sign(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** True when `header` signs `body` with `secret` and its timestamp is within `toleranceS` of `nowS`. */
export function verify(secret: string, body: string, header: string, nowS: number, toleranceS = 300): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (m === null) return false;
  const t = Number(m[1]);
  if (Math.abs(nowS - t) > toleranceS) return false;
  const expected = Buffer.from(sign(secret, body, t).slice(-64), 'hex');
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}
