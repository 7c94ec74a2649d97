// The one place a Destination is carried out, for the first destination of a call and for every
// one an app hands the caller on to (an IVR option, its default). A call the PBX has not answered
// yet keeps the plain B2BUA behaviour: an extension rings with the callee's progress passed
// through and a refusal reaches the caller as its SIP status, `hangup` is 603, a destination not
// built yet is 501.
import type { Call } from '../calls/call.js';
import type { CallStart } from '../calls/control.js';
import { finalDestination } from '../calls/route.js';
import type { Destination } from '../config/types.js';
import { APP_ERRORS, Channel, type ChannelHost } from './channel.js';
import { runConference } from './conference.js';
import { runExtension } from './extension.js';
import { featureApp } from './features.js';
import { runGroup } from './group.js';
import { runIvr } from './ivr.js';
import { runQueue } from './queue.js';
import { NO_SERVICES, type AppServices } from './services.js';
import { runVoicemail } from './voicemail.js';
import { ownMailbox, runVoicemailMain } from './voicemail-main.js';
import { outboundApp } from './outbound.js';
import { park, retrieve } from './park.js';
import { PbxError } from '../util/errors.js';

/**
 * 'done': the destination took the call (connected, ringing, ended); 'failed': it could not (busy,
 * no answer, not built) and the caller is still on the channel, for the app to carry on.
 */
export type GotoResult = 'done' | 'failed';

/** goto() as apps that hand the caller on receive it. */
export type Goto = (ch: Channel, dest: Destination) => Promise<GotoResult>;

/** How many destinations one call may pass through: a menu that leads back to itself ends. */
const MAX_HOPS = 32;

/**
 * Destinations that stand for people: a call that reached one and that no person answered is a
 * missed call (its CDR's `missed`, the callback list). Calls to the PBX's services (own mailbox,
 * conference, hangup) are not, nor calls refused before any destination.
 */
const FOR_PEOPLE: ReadonlySet<Destination['kind']> = new Set(['extension', 'group', 'queue', 'ivr', 'voicemail']);

/**
 * CallControl's start (CallControlOptions.start): a new call to its first destination. A caller
 * the PBX answered that no destination took in the end is hung up.
 */
export function startCall(call: Call, dest: Destination, host: ChannelHost, services: AppServices = NO_SERVICES): void {
  const ch = new Channel(call, host, services);
  void goto(ch, dest).then(async (result) => {
    if (result === 'failed' && !ch.gone) await ch.hangup(call.answeredByPbx ? 'no-destination' : (call.refusal?.reason ?? 'no-destination'));
  });
}

/** CallControl's start with the PBX's stores for the apps (pbx.ts, the test PBX). */
export function appStart(services: AppServices): CallStart {
  return (call, dest, host) => startCall(call, dest, host, services);
}

/** Sends the caller on the channel to `dest`. Never rejects. */
export async function goto(ch: Channel, dest: Destination): Promise<GotoResult> {
  try {
    if (++ch.hops > MAX_HOPS) {
      ch.log.warn({ hops: ch.hops }, 'too many destinations in one call; hanging up');
      await ch.hangup('too-many-hops', 483);
      return 'done';
    }
    if (FOR_PEOPLE.has(dest.kind)) ch.call.markForPeople();
    switch (dest.kind) {
      case 'extension':
        return await runExtension(ch, dest.ext, goto);
      case 'group': {
        const group = ch.routing.config.groups.get(dest.name);
        if (group === undefined) {
          ch.unavailable(`group:${dest.name}`);
          return ch.gone ? 'done' : 'failed';
        }
        return await runGroup(ch, group, goto);
      }
      case 'ivr': {
        const menu = ch.routing.config.ivr.get(dest.name);
        if (menu === undefined) {
          ch.unavailable(`ivr:${dest.name}`);
          return ch.gone ? 'done' : 'failed';
        }
        return await runIvr(ch, menu, goto);
      }
      case 'conference': {
        const room = ch.routing.config.conferences.get(dest.name);
        if (room === undefined) {
          ch.unavailable(`conference:${dest.name}`);
          return ch.gone ? 'done' : 'failed';
        }
        return await runConference(ch, room);
      }
      case 'queue': {
        const queue = ch.routing.config.queues.get(dest.name);
        if (queue === undefined) {
          ch.unavailable(`queue:${dest.name}`);
          return ch.gone ? 'done' : 'failed';
        }
        return await runQueue(ch, queue, goto);
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
      case 'voicemail':
        return await runVoicemail(ch, dest);
      case 'voicemail-main':
        ch.call.markForPbx();
        return await runVoicemailMain(ch, ownMailbox(ch));
      case 'feature': {
        const app = featureApp(dest.name);
        if (app === null) {
          ch.unavailable(`feature:${dest.name}`);
          return ch.gone ? 'done' : 'failed';
        }
        ch.addPath(`feature:${dest.name}`);
        ch.call.markForPbx();
        return await app(ch, dest.arg);
      }
      case 'outbound':
        return await outboundApp(ch, dest.number);
      case 'park':
        return await park(ch, goto);
      case 'parked':
        return await retrieve(ch, dest.slot);
      case 'hangup':
        ch.log.info({}, 'routed to hangup');
        await ch.hangup('hangup');
        return 'done';
      default: {
        const unknown: never = dest;
        ch.unavailable(JSON.stringify(unknown));
        return ch.gone ? 'done' : 'failed';
      }
    }
  } catch (err) {
    if (err instanceof PbxError && err.code === APP_ERRORS.CALLER_GONE) return 'done';
    ch.log.error({ err }, 'app failed; hanging up');
    await ch.hangup('app-error', 500).catch(() => undefined);
    return 'done';
  }
}

