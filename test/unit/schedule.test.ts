import t from 'tap';
import { localTime, parseDays, parseHoliday, parseHours, scheduleState } from '../../src/config/schedule.js';
import type { ScheduleConfig } from '../../src/config/types.js';
import { configOf } from '../helpers/config-text.js';

const at = (iso: string): number => Date.parse(iso);

/** A schedule as loadConfig reads it from YAML. */
function schedule(timezone: string, hours: Record<string, string>, holidays: string[] = []): ScheduleConfig {
  const config = configOf(`http: { token: t }
extensions: { "1001": { password: a }, "1002": { password: b } }
schedules:
  office:
    timezone: ${timezone}
    hours: ${JSON.stringify(hours)}
    holidays: ${JSON.stringify(holidays)}
    open: "1001"
    closed: "1002"
`);
  return config.schedules.get('office')!;
}

t.test('day names and ranges, wrapping over the end of the week', async (t) => {
  t.same(parseDays('mon'), [0]);
  t.same(parseDays('Mon-Fri'), [0, 1, 2, 3, 4]);
  t.same(parseDays('sun-thu'), [6, 0, 1, 2, 3], 'a week starting on Sunday');
  t.same(parseDays('sat-sun'), [5, 6]);
  t.match(parseDays('mnd'), /unknown day "mnd"/);
  t.match(parseDays('mon-'), /unknown day ""/);
  t.match(parseDays('mon-wed-fri'), /bad day range/);
});

t.test('hours: one range, several, a list; 24:00 only as an end; reversed and overlapping ranges are errors', async (t) => {
  t.same(parseHours('09:00-18:00'), [{ start: 540, end: 1080 }]);
  t.same(parseHours('14:00-18:00, 9:00-13:00'), [{ start: 540, end: 780 }, { start: 840, end: 1080 }], 'sorted');
  t.same(parseHours(['09:00-13:00', '14:00-18:00']), [{ start: 540, end: 780 }, { start: 840, end: 1080 }]);
  t.same(parseHours('00:00-24:00'), [{ start: 0, end: 1440 }]);
  t.same(parseHours('09:00-13:00,13:00-18:00'), [{ start: 540, end: 780 }, { start: 780, end: 1080 }], 'touching ranges are fine');
  t.match(parseHours('24:00-24:00'), /bad hours/);
  t.match(parseHours('09:60-10:00'), /bad hours/);
  t.match(parseHours('25:00-26:00'), /bad hours/);
  t.match(parseHours('9-18'), /bad hours "9-18"/);
  t.match(parseHours('22:00-06:00'), /end before they start.*"22:00-24:00" on one day and "00:00-06:00" on the next/);
  t.match(parseHours('10:00-10:00'), /end before they start/);
  t.match(parseHours('09:00-13:00, 12:00-18:00'), /09:00-13:00 and 12:00-18:00 overlap/);
});

t.test('holidays: dates, inclusive ranges, yearly dates; impossible and reversed dates are errors', async (t) => {
  t.same(parseHoliday('2026-12-31'), { from: 20261231, to: 20261231, annual: false });
  t.same(parseHoliday('2027-01-01..2027-01-08'), { from: 20270101, to: 20270108, annual: false });
  t.same(parseHoliday('12-24..12-26'), { from: 1224, to: 1226, annual: true });
  t.same(parseHoliday('02-29'), { from: 229, to: 229, annual: true }, 'a yearly 29 February is allowed');
  t.match(parseHoliday('2026-02-29'), /bad holiday/, '2026 is no leap year');
  t.match(parseHoliday('2026-13-01'), /bad holiday/);
  t.match(parseHoliday('31.12.2026'), /bad holiday/);
  t.match(parseHoliday('2027-01-08..2027-01-01'), /ends before it starts/);
  t.match(parseHoliday('12-31..01-02'), /over New Year is written as two: "12-31..12-31" and "01-01..01-02"/);
  t.match(parseHoliday('2026-12-31..01-02'), /mixes a dated and a yearly end/);
});

t.test('local time is read in the schedule time zone', async (t) => {
  // 2026-11-26 is a Thursday; Moscow is UTC+3 all year
  t.same(localTime('Europe/Moscow', at('2026-11-26T21:30:00Z')), { date: 20261127, weekday: 4, minute: 30 }, 'already Friday in Moscow');
  t.same(localTime('America/New_York', at('2026-11-26T03:00:00Z')), { date: 20261125, weekday: 2, minute: 22 * 60 }, 'still Wednesday in New York');
  t.same(localTime('UTC', at('2026-11-26T00:00:00Z')), { date: 20261126, weekday: 3, minute: 0 }, 'midnight is minute 0, not 24:00');
});

t.test('office hours in Moscow: open from 09:00 (included) to 18:00 (excluded), closed at night and on Sunday', async (t) => {
  const office = schedule('Europe/Moscow', { 'mon-fri': '09:00-18:00', sat: '10:00-14:00' });
  t.equal(scheduleState(office, at('2026-11-26T05:59:59Z')), 'closed', 'Thursday 08:59:59');
  t.equal(scheduleState(office, at('2026-11-26T06:00:00Z')), 'open', 'Thursday 09:00');
  t.equal(scheduleState(office, at('2026-11-26T14:59:59Z')), 'open', 'Thursday 17:59:59');
  t.equal(scheduleState(office, at('2026-11-26T15:00:00Z')), 'closed', 'Thursday 18:00');
  t.equal(scheduleState(office, at('2026-11-28T08:00:00Z')), 'open', 'Saturday 11:00');
  t.equal(scheduleState(office, at('2026-11-28T11:00:00Z')), 'closed', 'Saturday 14:00');
  t.equal(scheduleState(office, at('2026-11-29T08:00:00Z')), 'closed', 'Sunday 11:00');
  // 2026-11-30 Monday 09:30 in Moscow is Monday 06:30 UTC; 2026-11-29 Sunday 23:30 UTC is Monday 02:30 in Moscow
  t.equal(scheduleState(office, at('2026-11-30T06:30:00Z')), 'open');
});

t.test('day boundaries: a day open until 24:00 and the next from 00:00', async (t) => {
  const s = schedule('UTC', { fri: '20:00-24:00', sat: '00:00-02:00' });
  t.equal(scheduleState(s, at('2026-11-27T23:59:59Z')), 'open', 'Friday 23:59:59');
  t.equal(scheduleState(s, at('2026-11-28T00:00:00Z')), 'open', 'Saturday 00:00');
  t.equal(scheduleState(s, at('2026-11-28T02:00:00Z')), 'closed', 'Saturday 02:00');
  t.equal(scheduleState(s, at('2026-11-26T23:59:59Z')), 'closed', 'Thursday 23:59:59');
});

t.test('DST: 09:00 is 09:00 on the wall clock on both sides of a change', async (t) => {
  const ny = schedule('America/New_York', { 'mon-fri': '09:00-17:00', sun: '02:00-03:00' });
  // Standard time (UTC-5) before Sunday 2026-03-08, daylight time (UTC-4) after
  t.equal(scheduleState(ny, at('2026-03-06T13:59:00Z')), 'closed', 'Friday 08:59 EST');
  t.equal(scheduleState(ny, at('2026-03-06T14:00:00Z')), 'open', 'Friday 09:00 EST');
  t.equal(scheduleState(ny, at('2026-03-09T13:00:00Z')), 'open', 'Monday 09:00 EDT (13:00 UTC, an hour earlier than the week before)');
  t.equal(scheduleState(ny, at('2026-03-09T12:59:00Z')), 'closed', 'Monday 08:59 EDT');
  t.equal(scheduleState(ny, at('2026-03-09T21:00:00Z')), 'closed', 'Monday 17:00 EDT');
  // 02:00-03:00 does not exist that Sunday: the clock jumps from 01:59 EST to 03:00 EDT
  t.equal(scheduleState(ny, at('2026-03-08T06:59:00Z')), 'closed', '01:59 EST');
  t.equal(scheduleState(ny, at('2026-03-08T07:00:00Z')), 'closed', '03:00 EDT');
  t.equal(scheduleState(ny, at('2026-03-15T06:30:00Z')), 'open', 'a week later 02:30 EDT exists and is open');

  const berlin = schedule('Europe/Berlin', { 'mon-fri': '09:00-18:00', sun: '02:00-03:00' });
  // Summer time (UTC+2) ends on Sunday 2026-10-25 at 03:00, back to 02:00 (UTC+1): 02:xx happens twice
  t.equal(scheduleState(berlin, at('2026-10-23T07:00:00Z')), 'open', 'Friday 09:00 CEST');
  t.equal(scheduleState(berlin, at('2026-10-26T07:00:00Z')), 'closed', 'Monday 08:00 CET');
  t.equal(scheduleState(berlin, at('2026-10-26T08:00:00Z')), 'open', 'Monday 09:00 CET');
  t.equal(scheduleState(berlin, at('2026-10-25T00:30:00Z')), 'open', 'the first 02:30 (CEST)');
  t.equal(scheduleState(berlin, at('2026-10-25T01:30:00Z')), 'open', 'the second 02:30 (CET)');
  t.equal(scheduleState(berlin, at('2026-10-25T02:00:00Z')), 'closed', '03:00 CET');
});

t.test('holidays win over the hours, on the local date, both range ends included', async (t) => {
  const office = schedule('Europe/Moscow', { 'mon-sun': '00:00-24:00' }, ['2026-12-31', '2027-01-02..2027-01-08', '03-08']);
  t.equal(scheduleState(office, at('2026-12-30T20:59:59Z')), 'open', '2026-12-30 23:59:59 in Moscow');
  t.equal(scheduleState(office, at('2026-12-30T21:00:00Z')), 'holiday', '2026-12-31 00:00 in Moscow, still the 30th in UTC');
  t.equal(scheduleState(office, at('2026-12-31T21:00:00Z')), 'open', '2027-01-01 is no holiday here');
  t.equal(scheduleState(office, at('2027-01-01T21:00:00Z')), 'holiday', '2027-01-02, the first day of the range');
  t.equal(scheduleState(office, at('2027-01-08T20:59:59Z')), 'holiday', '2027-01-08 23:59:59, the last day of the range');
  t.equal(scheduleState(office, at('2027-01-08T21:00:00Z')), 'open', '2027-01-09');
  t.equal(scheduleState(office, at('2027-03-08T09:00:00Z')), 'holiday', 'a yearly date, 2027');
  t.equal(scheduleState(office, at('2031-03-08T09:00:00Z')), 'holiday', 'a yearly date, 2031');
  t.equal(scheduleState(schedule('Europe/Moscow', {}, ['2026-12-31']), at('2026-12-31T09:00:00Z')), 'holiday', 'a holiday on a closed day is a holiday');
});
