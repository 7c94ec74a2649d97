// The one place a Destination is carried out, for the first destination of a call and for every
// one an app hands the caller on to (an IVR option, its default). A call the PBX has not answered
// yet keeps the plain B2BUA behaviour: an extension rings with the callee's progress passed
// through and a refusal reaches the caller as its SIP status, `hangup` is 603, a destination not
// built yet is 501.
import type { Call } from '../calls/call.js';
import { finalDestination } from '../calls/route.js';
import type { Destination } from '../config/types.js';
import { APP_ERRORS, Channel, type ChannelHost } from './channel.js';
import { featureApp } from './features.js';
import { runIvr } from './ivr.js';
import { park, retrieve } from './park.js';
import { PbxError } from '../util/errors.js';

/**
 * 'done': the destination took the call (connected, ringing, ended); 'failed': it could not (busy,
 * no answer, not built) and the caller is still on the channel, for the app to carry on.
 */
export type GotoResult = 'done' | 'failed';

/** How many destinations one call may pass through: a menu that leads back to itself ends. */
const MAX_HOPS = 32;

/**
 * CallControl's start (CallControlOptions.start): a new call to its first destination. A caller
 * the PBX answered that no destination took in the end is hung up.
 */
export function startCall(call: Call, dest: Destination, host: ChannelHost): void {
  const ch = new Channel(call, host);
  void goto(ch, dest).then(async (result) => {
    if (result === 'failed' && !ch.gone) await ch.hangup(call.answeredByPbx ? 'no-destination' : (call.refusal?.reason ?? 'no-destination'));
  });
}

/** Sends the caller on the channel to `dest`. Never rejects. */
export async function goto(ch: Channel, dest: Destination): Promise<GotoResult> {
  try {
    if (++ch.hops > MAX_HOPS) {
      ch.log.warn({ hops: ch.hops }, 'too many destinations in one call; hanging up');
      await ch.hangup('too-many-hops', 483);
      return 'done';
    }
    switch (dest.kind) {
      case 'extension': {
        const result = await ch.dial(dest.ext);
        ch.log.info({ ext: dest.ext, result }, 'dialled from an app');
        return result === 'answered' || ch.gone ? 'done' : 'failed';
      }
      case 'ivr': {
        const menu = ch.routing.config.ivr.get(dest.name);
        if (menu === undefined) {
          ch.unavailable(`ivr:${dest.name}`);
          return ch.gone ? 'done' : 'failed';
        }
        return await runIvr(ch, menu, goto);
      }
      case 'schedule': {
        // The branch of the schedule in force now (the first destination of a call came through it already).
        const reached = finalDestination(ch.routing.config, dest, { now: ch.now() });
        if (reached === null) {
          ch.unavailable(`schedule:${dest.name}`);
          return ch.gone ? 'done' : 'failed';
        }
        ch.log.info({ route: reached.steps.join('; ') }, 'routed');
        return await goto(ch, reached.dest);
      }
      case 'feature': {
        const app = featureApp(dest.name);
        if (app === null) {
          ch.unavailable(`feature:${dest.name}`);
          return ch.gone ? 'done' : 'failed';
        }
        ch.addPath(`feature:${dest.name}`);
        return await app(ch, dest.arg);
      }
      case 'park':
        return await park(ch, goto);
      case 'parked':
        return await retrieve(ch, dest.slot);
      case 'hangup':
        ch.log.info({}, 'routed to hangup');
        await ch.hangup('hangup');
        return 'done';
      default:
        ch.unavailable(describe(dest));
        return ch.gone ? 'done' : 'failed';
    }
  } catch (err) {
    if (err instanceof PbxError && err.code === APP_ERRORS.CALLER_GONE) return 'done';
    ch.log.error({ err }, 'app failed; hanging up');
    await ch.hangup('app-error', 500).catch(() => undefined);
    return 'done';
  }
}

function describe(dest: Destination): string {
  switch (dest.kind) {
    case 'extension':
      return dest.ext;
    case 'voicemail':
      return `voicemail:${dest.ext}`;
    case 'voicemail-main':
    case 'hangup':
    case 'park':
      return dest.kind;
    case 'parked':
      return `parked:${dest.slot}`;
    default:
      return `${dest.kind}:${dest.name}`;
  }
}
