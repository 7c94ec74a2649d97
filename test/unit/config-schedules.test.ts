import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { compileRouting } from '../../src/config/routing.js';
import { configErrors, configOf } from '../helpers/config-text.js';

const BASE = `http: { token: t }
extensions:
  "1001": { password: a }
  "1002": { password: b }
ivr:
  main: { prompt: welcome }
`;

t.test('a schedule and callers section are read into the config; schedule:NAME is a destination', async (t) => {
  const config = configOf(`${BASE}dialplan:
  "500": "schedule:office"
  "501": "500"
schedules:
  office:
    timezone: Europe/Moscow
    hours: { mon-fri: "09:00-18:00", sat: ["10:00-12:00", "13:00-14:00"] }
    holidays: ["2026-12-31", "2027-01-01..2027-01-08", "03-08"]
    open: "ivr:main"
    closed: "voicemail:1001"
    holiday: "1002"
  night: { hours: {}, open: "1001", closed: "conference:late" }
callers:
  known: { "+74951234567": "1001", "+7495*": "schedule:office" }
  blacklist: ["+7800*"]
  anonymous: reject
`);
  const office = config.schedules.get('office')!;
  t.equal(office.timezone, 'Europe/Moscow');
  const nine = { start: 540, end: 1080 };
  t.same(office.week, [[nine], [nine], [nine], [nine], [nine], [{ start: 600, end: 720 }, { start: 780, end: 840 }], []]);
  t.same(office.holidays, [
    { from: 20261231, to: 20261231, annual: false },
    { from: 20270101, to: 20270108, annual: false },
    { from: 308, to: 308, annual: true },
  ]);
  t.same([office.open, office.closed, office.holiday], ['ivr:main', 'voicemail:1001', '1002']);
  const night = config.schedules.get('night')!;
  t.equal(night.holiday, null, 'holiday is optional');
  t.equal(night.timezone, Intl.DateTimeFormat().resolvedOptions().timeZone, 'the host zone when none is given');
  t.ok(config.conferences.has('late'), 'a room named by a schedule exists');
  t.same([...config.callers.known], [['+74951234567', '1001'], ['+7495*', 'schedule:office']]);
  t.same(config.callers.blacklist, ['+7800*']);
  t.equal(config.callers.reject_status, 603, '603 Decline unless set');
  t.equal(config.callers.anonymous, 'reject');
  const routing = compileRouting(config);
  t.same(routing.resolve('500'), { kind: 'schedule', name: 'office' });
  t.same(routing.resolve('501'), { kind: 'schedule', name: 'office' }, 'through another number');
});

t.test('without schedules or callers the config has empty ones', async (t) => {
  const config = configOf(BASE);
  t.equal(config.schedules.size, 0);
  t.same(config.callers, { known: new Map(), blacklist: [], reject_status: 603, anonymous: null });
});

t.test('every bad schedule value is reported at its FILE:LINE:COL', async (t) => {
  t.same(
    configErrors(`${BASE}schedules:
  office:
    timezone: Europe/Moscw
    hours:
      mon-fri: "09:00-18:00"
      sat: "18:00-10:00"
      sun: "9-5"
      fri: "10:00-12:00"
      xyz: "10:00-11:00"
      tue-thu-sat: "01:00-02:00"
    holidays: ["2026-12-31", "2027-01-01..2027-01-08", "2027-01-05", "2026-02-30", "2027-02-01..2027-01-01", 20260101]
    open: "ivr:mian"
    closed: "voicemail:1009"
    holiday: "1003"
    extra: 1
  tz: { timezone: Mars/Base, hours: { mon: ["09:00-12:00", "11:00-13:00"] }, open: "1001", closed: "1001" }
  bare: { closed: "1001" }
`),
    [
      'pbx.yaml:9:15: schedules.office.timezone: unknown time zone "Europe/Moscw"; did you mean "Europe/Moscow"?',
      'pbx.yaml:12:12: schedules.office.hours.sat: hours "18:00-10:00" end before they start; a range past midnight is written as two: "18:00-24:00" on one day and "00:00-10:00" on the next',
      'pbx.yaml:13:12: schedules.office.hours.sun: bad hours "9-5"; expected HH:MM-HH:MM such as "09:00-18:00" (24-hour clock, "24:00" for midnight at the end)',
      'pbx.yaml:14:7: schedules.office.hours.fri: fri is already given by "mon-fri"; name each day once (e.g. mon-thu and fri for a short Friday)',
      'pbx.yaml:15:7: schedules.office.hours: unknown day "xyz" in "xyz"; days are mon tue wed thu fri sat sun, ranges like mon-fri',
      'pbx.yaml:16:7: schedules.office.hours: bad day range "tue-thu-sat"; expected a day such as mon or a range such as mon-fri',
      'pbx.yaml:17:56: schedules.office.holidays[2]: holiday "2027-01-05" overlaps "2027-01-01..2027-01-08"',
      'pbx.yaml:17:70: schedules.office.holidays[3]: bad holiday "2026-02-30"; expected a date "2026-12-31", a range "2027-01-01..2027-01-08", or "01-01" for every year',
      'pbx.yaml:17:84: schedules.office.holidays[4]: holiday range "2027-02-01..2027-01-01" ends before it starts',
      'pbx.yaml:17:110: schedules.office.holidays[5]: a holiday is a date in quotes, such as "2026-12-31"',
      'pbx.yaml:18:11: schedules.office.open: destination "ivr:mian" points nowhere: no ivr named "mian"; did you mean "main"?',
      'pbx.yaml:19:13: schedules.office.closed: destination "voicemail:1009" points nowhere: no extension 1009',
      'pbx.yaml:20:14: schedules.office.holiday: destination "1003" points nowhere: no extension or dialplan number 1003',
      'pbx.yaml:21:5: schedules.office: unknown key "extra"',
      'pbx.yaml:22:19: schedules.tz.timezone: unknown time zone "Mars/Base"; expected an IANA name such as Europe/Moscow, America/New_York or UTC',
      'pbx.yaml:22:44: schedules.tz.hours.mon: hours 09:00-12:00 and 11:00-13:00 overlap',
      'pbx.yaml:23:9: schedules.bare: missing key "hours"',
      'pbx.yaml:23:9: schedules.bare: missing key "open"',
    ],
  );
});

t.test('an unknown schedule in a destination is an error wherever it is named', async (t) => {
  t.same(configErrors(`${BASE}schedules:
  office: { hours: {}, open: "1001", closed: "1002" }
dialplan:
  "500": "schedule:ofice"
ivr:
  night: { prompt: welcome, options: { "1": "schedule:none" }, default: "schedule:office" }
`.replace(/^ivr:\n  main: \{ prompt: welcome \}\n/m, '')), [
    'pbx.yaml:8:10: dialplan.500: destination "schedule:ofice" points nowhere: no schedule named "ofice"; did you mean "office"?',
    'pbx.yaml:10:45: ivr.night.options.1: destination "schedule:none" points nowhere: no schedule named "none"',
  ]);
});

t.test('schedules that lead back to themselves are refused, also through dialplan numbers', async (t) => {
  t.same(
    configErrors(`${BASE}dialplan:
  "500": "schedule:a"
  "600": "500"
schedules:
  a: { hours: {}, open: "schedule:b", closed: "1001" }
  b: { hours: {}, open: "1001", closed: "600" }
  self: { hours: {}, open: "1001", closed: "1002", holiday: "schedule:self" }
  via_ivr: { hours: {}, open: "ivr:main", closed: "1001" }
`),
    [
      'pbx.yaml:11:25: schedules.a.open: schedule loop: a -> b -> a',
      'pbx.yaml:12:41: schedules.b.closed: schedule loop: b -> a -> b',
      'pbx.yaml:13:61: schedules.self.holiday: schedule loop: self -> self',
    ],
  );
  t.same(configErrors(`${BASE}schedules:
  day: { hours: { mon: "09:00-18:00" }, open: "1001", closed: "schedule:night" }
  night: { hours: { mon: "18:00-24:00" }, open: "1002", closed: "voicemail:1001" }
`), [], 'a chain without a loop is fine');
});

t.test('every bad callers value is reported at its FILE:LINE:COL', async (t) => {
  t.same(
    configErrors(`${BASE}callers:
  known: { "+7495*": "1001", "abc": "1002", "+7499*": "schedule:nope" }
  blacklist: ["+7800*", +79161234567, "+7495*", "7*8"]
  anonymous: "ivr:nope"
  reject_status: 200
`),
    [
      'pbx.yaml:8:30: callers.known: caller number "abc" must be digits with an optional leading + and an optional trailing * (a prefix), e.g. "+74951234567" or "+7495*"',
      'pbx.yaml:8:55: callers.known.+7499*: destination "schedule:nope" points nowhere: no schedule named "nope"',
      'pbx.yaml:9:25: callers.blacklist[1]: write caller numbers in quotes ("+74951234567"): YAML reads 79161234567 as a number and drops a leading + or 0',
      'pbx.yaml:9:39: callers.blacklist[2]: caller +7495* is both blacklisted and in callers.known; keep one',
      'pbx.yaml:9:49: callers.blacklist[3]: caller number "7*8" must be digits with an optional leading + and an optional trailing * (a prefix), e.g. "+74951234567" or "+7495*"',
      'pbx.yaml:10:14: callers.anonymous: destination "ivr:nope" points nowhere: no ivr named "nope"; or reject to refuse anonymous calls',
      'pbx.yaml:11:18: callers.reject_status: must be at least 400 (got 200)',
    ],
  );
  t.same(configErrors(`${BASE}callers: { blacklist: [{ a: 1 }] }\n`), ['pbx.yaml:7:24: callers.blacklist[0]: expected a caller number in quotes such as "+74951234567", got a mapping']);
  t.same(configErrors(`${BASE}callers: { anonymous: rejct }\n`), [
    'pbx.yaml:7:23: callers.anonymous: bad destination "rejct"; expected a number, ivr:NAME, group:NAME, queue:NAME, conference:NAME, schedule:NAME, voicemail:EXT, voicemail-main or hangup; or reject to refuse anonymous calls',
  ]);
});

t.test('an unquoted caller number key that YAML changes is an error; one it keeps is fine', async (t) => {
  t.same(configErrors(`${BASE}callers:\n  known:\n    +74951234567: "1001"\n    007: "1001"\n    74950000000: "1002"\n`), [
    'pbx.yaml:9:5: callers.known: write caller numbers in quotes ("+74951234567"): YAML reads +74951234567 as a number and drops a leading + or 0',
    'pbx.yaml:10:5: callers.known: write caller numbers in quotes ("007"): YAML reads 007 as a number and drops a leading + or 0',
  ]);
  t.same([...configOf(`${BASE}callers:\n  known:\n    74951234567: "1002"\n`).callers.known.keys()], ['74951234567']);
});

t.test('examples/office-hours.yaml is valid', async (t) => {
  const r = loadConfig(fileURLToPath(new URL('../../examples/office-hours.yaml', import.meta.url)));
  t.same(r.ok ? [] : r.errors, []);
});
