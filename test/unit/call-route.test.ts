import t from 'tap';
import { callerIdOf } from '../../src/calls/caller-id.js';
import { finalDestination, routeCall, type RouteContext, type RouteDecision } from '../../src/calls/route.js';
import { matchCaller } from '../../src/config/callers.js';
import { compileRouting } from '../../src/config/routing.js';
import { configOf } from '../helpers/config-text.js';
import { incoming } from '../helpers/sip-messages.js';

// Thursday 2026-11-26 in Moscow (UTC+3): 12:00 in hours, 20:00 out of hours; 2026-12-31 a holiday
const IN_HOURS = Date.parse('2026-11-26T09:00:00Z');
const OUT_OF_HOURS = Date.parse('2026-11-26T17:00:00Z');
const HOLIDAY = Date.parse('2026-12-31T09:00:00Z');

const routing = compileRouting(
  configOf(`http: { token: t }
extensions:
  "1001": { password: a }
  "1002": { password: b }
  "1003": { password: c }
ivr:
  main: { prompt: welcome }
dialplan:
  "500": "schedule:office"
  "501": "500"
  "600": "ivr:main"
  "700": "schedule:support"
schedules:
  office:
    timezone: Europe/Moscow
    hours: { mon-fri: "09:00-18:00" }
    holidays: ["2026-12-31"]
    open: "ivr:main"
    closed: "voicemail:1001"
    holiday: "1003"
  support:
    timezone: Europe/Moscow
    hours: { mon-fri: "10:00-19:00" }
    open: "1002"
    closed: "501"
callers:
  known: { "+74951234567": "1001", "+7495*": "1002", "+749512*": "schedule:office" }
  blacklist: ["+7800*", "+79990000000"]
  anonymous: "1003"
`),
);

const destOf = (d: RouteDecision | null) => (d?.kind === 'route' ? d.dest : null);
const someone = (now: number, caller: string | null = '+79161112233', anonymous = false): RouteContext => ({ caller, anonymous, now });

t.test('a schedule sends calls to its open, closed or holiday branch by the clock', async (t) => {
  t.same(routeCall(routing, '500', someone(IN_HOURS)), { kind: 'route', dest: { kind: 'ivr', name: 'main' }, steps: ['schedule office: open -> ivr:main'] });
  t.same(routeCall(routing, '500', someone(OUT_OF_HOURS)), { kind: 'route', dest: { kind: 'voicemail', ext: '1001' }, steps: ['schedule office: closed -> voicemail:1001'] });
  t.same(routeCall(routing, '500', someone(HOLIDAY)), { kind: 'route', dest: { kind: 'extension', ext: '1003' }, steps: ['schedule office: holiday -> 1003'] });
  t.same(routeCall(routing, '501', someone(OUT_OF_HOURS))?.steps, ['schedule office: closed -> voicemail:1001'], 'through a dialplan number');
});

t.test('schedules chain: out of support hours the office schedule decides', async (t) => {
  // 18:30 in Moscow: support (to 19:00) is open, the office is not; 19:30: both closed
  t.same(routeCall(routing, '700', someone(Date.parse('2026-11-26T15:30:00Z')))?.steps, ['schedule support: open -> 1002']);
  t.same(routeCall(routing, '700', someone(Date.parse('2026-11-26T16:30:00Z'))), {
    kind: 'route',
    dest: { kind: 'voicemail', ext: '1001' },
    steps: ['schedule support: closed -> 501', 'schedule office: closed -> voicemail:1001'],
  });
  // 09:30: the office is open, support not yet
  t.same(destOf(routeCall(routing, '700', someone(Date.parse('2026-11-26T06:30:00Z')))), { kind: 'ivr', name: 'main' });
});

t.test('finalDestination leaves other destinations as they are and follows schedules for apps', async (t) => {
  t.same(finalDestination(routing.config, { kind: 'group', name: 'x' }, { now: IN_HOURS }), { dest: { kind: 'group', name: 'x' }, steps: [] });
  t.same(finalDestination(routing.config, { kind: 'schedule', name: 'office' }, { now: OUT_OF_HOURS })?.dest, { kind: 'voicemail', ext: '1001' });
  t.equal(finalDestination(routing.config, { kind: 'schedule', name: 'nope' }, { now: IN_HOURS }), null, 'an unknown schedule (unchecked config) is null');
});

t.test('known callers go straight to their destination, the most specific match first', async (t) => {
  t.same(routeCall(routing, '600', someone(IN_HOURS, '+74951234567')), {
    kind: 'route',
    dest: { kind: 'extension', ext: '1001' },
    steps: ['caller +74951234567 known (+74951234567) -> 1001'],
  });
  t.same(destOf(routeCall(routing, '600', someone(IN_HOURS, '+74957654321'))), { kind: 'extension', ext: '1002' }, 'the +7495* prefix');
  t.same(routeCall(routing, '600', someone(OUT_OF_HOURS, '+74951299999')), {
    kind: 'route',
    dest: { kind: 'voicemail', ext: '1001' },
    steps: ['caller +74951299999 known (+749512*) -> schedule:office', 'schedule office: closed -> voicemail:1001'],
  }, 'the longer prefix +749512* wins, and its schedule is followed');
  t.same(routeCall(routing, '600', someone(IN_HOURS)), { kind: 'route', dest: { kind: 'ivr', name: 'main' }, steps: [] }, 'an unknown caller follows the dialplan');
});

t.test('blacklisted callers are rejected with 603, by exact number or prefix', async (t) => {
  t.same(routeCall(routing, '500', someone(IN_HOURS, '+78001234567')), { kind: 'reject', status: 603, reason: 'blacklisted', steps: ['caller +78001234567 blacklisted (+7800*)'] });
  t.same(routeCall(routing, '600', someone(IN_HOURS, '+79990000000'))?.kind, 'reject');
  t.same(routeCall(routing, '600', someone(IN_HOURS, '+79990000000', true))?.kind, 'reject', 'asking for privacy does not dodge the blacklist');
  t.same(routeCall(routing, '600', someone(IN_HOURS, '+799900000001'))?.kind, 'route', 'an exact entry is no prefix');
});

t.test('anonymous callers go where callers.anonymous says, or are rejected', async (t) => {
  t.same(routeCall(routing, '500', someone(IN_HOURS, null, true)), { kind: 'route', dest: { kind: 'extension', ext: '1003' }, steps: ['anonymous caller -> 1003'] });
  const strict = compileRouting({ ...routing.config, callers: { ...routing.config.callers, anonymous: 'reject', reject_status: 403 } });
  t.same(routeCall(strict, '500', someone(IN_HOURS, null, true)), { kind: 'reject', status: 403, reason: 'anonymous', steps: ['anonymous caller rejected'] });
  const open = compileRouting({ ...routing.config, callers: { ...routing.config.callers, anonymous: null } });
  t.same(destOf(routeCall(open, '500', someone(IN_HOURS, null, true))), { kind: 'ivr', name: 'main' }, 'without a rule they follow the dialplan');
});

t.test('caller rules do not apply to an extension dialled directly; unknown numbers are null', async (t) => {
  t.same(routeCall(routing, '1002', someone(IN_HOURS, '+78001234567', true)), { kind: 'route', dest: { kind: 'extension', ext: '1002' }, steps: [] });
  t.equal(routeCall(routing, '999', someone(IN_HOURS)), null);
});

t.test('caller patterns: exact before prefix, the longest prefix first', async (t) => {
  t.equal(matchCaller(['+7*', '+7495*', '+749*'], '+74951234567'), '+7495*');
  t.equal(matchCaller(['+7495*', '+74951234567'], '+74951234567'), '+74951234567');
  t.equal(matchCaller(['+7495*'], '74951234567'), null, 'no normalisation: + is part of the number');
  t.equal(matchCaller([], '+7'), null);
});

t.test('caller ID of an INVITE: the From user, anonymous by name, host or Privacy', async (t) => {
  const invite = (from: string, privacy?: string) => {
    const req = incoming('INVITE');
    req.headers.set('from', from);
    if (privacy !== undefined) req.headers.add('privacy', privacy);
    return req;
  };
  t.same(callerIdOf(invite('"Alice" <sip:+74951234567@pbx.test>;tag=1')), { caller: '+74951234567', anonymous: false });
  t.same(callerIdOf(invite('"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1')), { caller: null, anonymous: true });
  t.same(callerIdOf(invite('<sip:Anonymous@pbx.test>;tag=1')), { caller: null, anonymous: true });
  t.same(callerIdOf(invite('<sip:pbx.test>;tag=1')), { caller: null, anonymous: true }, 'no user part');
  t.same(callerIdOf(invite('<sip:1001@anonymous.invalid>;tag=1')), { caller: '1001', anonymous: true });
  t.same(callerIdOf(invite('<sip:1001@pbx.test>;tag=1', 'id')), { caller: '1001', anonymous: true });
  t.same(callerIdOf(invite('<sip:1001@pbx.test>;tag=1', 'header; user')), { caller: '1001', anonymous: true });
  t.same(callerIdOf(invite('<sip:1001@pbx.test>;tag=1', 'none')), { caller: '1001', anonymous: false });
  t.same(callerIdOf(invite('not a from')), { caller: null, anonymous: true });
});
