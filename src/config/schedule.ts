// Office hours and holidays: the text forms of `schedules:` (day names, "09:00-18:00", dates) and
// the clock math that says whether a schedule is open, closed or on holiday at an instant.
// Hours and dates are read on the wall clock of the schedule's time zone, so DST changes need no
// special case: 09:00 is 09:00 local on both sides of a change.
import type { HolidayRange, ScheduleConfig, TimeRange } from './types.js';

export type ScheduleState = 'open' | 'closed' | 'holiday';

/** Day names in week order, Monday first (index = ScheduleConfig.week index). */
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const MINUTES_PER_DAY = 1440;

/**
 * A day or a range of days (`mon`, `mon-fri`, `sun-thu` wraps over the week's end) to day indexes
 * in the order given; an error message string when it is not one.
 */
export function parseDays(text: string): number[] | string {
  const parts = text.toLowerCase().split('-');
  if (parts.length > 2) return `bad day range "${text}"; expected a day such as mon or a range such as mon-fri`;
  const idx = parts.map((p) => DAYS.indexOf(p.trim() as (typeof DAYS)[number]));
  const bad = parts.find((_, i) => idx[i]! < 0);
  if (bad !== undefined) return `unknown day "${bad.trim()}" in "${text}"; days are ${DAYS.join(' ')}, ranges like mon-fri`;
  const [first, last = first] = idx as [number, number?];
  const days: number[] = [];
  for (let d = first; ; d = (d + 1) % 7) {
    days.push(d);
    if (d === last) return days;
  }
}

/** "HH:MM" to minutes after midnight ("24:00" only as an end); null when malformed. */
function parseClock(text: string, isEnd: boolean): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (m === null) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59) return null;
  if (h === 24 && min === 0 && isEnd) return MINUTES_PER_DAY;
  return h > 23 ? null : h * 60 + min;
}

function clockText(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * Opening hours of a day: "09:00-18:00", several separated by commas ("09:00-13:00, 14:00-18:00")
 * or given as a list. Returns the ranges sorted, or an error message string.
 */
export function parseHours(value: string | readonly string[]): TimeRange[] | string {
  const texts = (typeof value === 'string' ? value.split(',') : value.flatMap((v) => v.split(','))).map((s) => s.trim());
  const ranges: TimeRange[] = [];
  for (const text of texts) {
    const dash = text.indexOf('-');
    const start = dash < 0 ? null : parseClock(text.slice(0, dash), false);
    const end = dash < 0 ? null : parseClock(text.slice(dash + 1), true);
    if (start === null || end === null) return `bad hours "${text}"; expected HH:MM-HH:MM such as "09:00-18:00" (24-hour clock, "24:00" for midnight at the end)`;
    if (end <= start) {
      return `hours "${text}" end before they start; a range past midnight is written as two: "${clockText(start)}-24:00" on one day and "00:00-${clockText(end)}" on the next`;
    }
    ranges.push({ start, end });
  }
  ranges.sort((a, b) => a.start - b.start);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]!.start < ranges[i - 1]!.end) {
      return `hours ${clockText(ranges[i - 1]!.start)}-${clockText(ranges[i - 1]!.end)} and ${clockText(ranges[i]!.start)}-${clockText(ranges[i]!.end)} overlap`;
    }
  }
  return ranges;
}

/** "YYYY-MM-DD" to YYYYMMDD, or "MM-DD" to MMDD (annual); null when malformed or no such date. */
function parseDate(text: string): { value: number; annual: boolean } | null {
  const m = /^(?:(\d{4})-)?(\d{2})-(\d{2})$/.exec(text.trim());
  if (m === null) return null;
  const year = m[1] === undefined ? null : Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  // A leap year for annual dates so that 02-29 is allowed.
  const probe = new Date(Date.UTC(year ?? 2024, month - 1, day));
  if (month < 1 || month > 12 || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return null;
  return { value: (year ?? 0) * 10000 + month * 100 + day, annual: year === null };
}

/**
 * A holiday: a date "2026-12-31", a range "2027-01-01..2027-01-08" (both ends included), or the
 * same forms without the year ("01-01", "12-24..12-26") for every year. An error message string
 * when it is not one.
 */
export function parseHoliday(text: string): HolidayRange | string {
  const [a, b = a, extra] = text.split('..');
  const from = a === undefined ? null : parseDate(a);
  const to = b === undefined ? null : parseDate(b);
  if (extra !== undefined || from === null || to === null) {
    return `bad holiday "${text}"; expected a date "2026-12-31", a range "2027-01-01..2027-01-08", or "01-01" for every year`;
  }
  if (from.annual !== to.annual) return `holiday range "${text}" mixes a dated and a yearly end; give both ends with the year or both without`;
  if (to.value < from.value) {
    return from.annual
      ? `holiday range "${text}" ends before it starts; a yearly range over New Year is written as two: "${a}..12-31" and "01-01..${b}"`
      : `holiday range "${text}" ends before it starts`;
  }
  return { from: from.value, to: to.value, annual: from.annual };
}

/** Whether two holiday ranges share a day (dated ones with dated ones, yearly with yearly). */
export function holidaysOverlap(a: HolidayRange, b: HolidayRange): boolean {
  return a.annual === b.annual && a.from <= b.to && b.from <= a.to;
}

/** Whether `name` is a time zone Intl knows (IANA names such as Europe/Moscow, and UTC). */
export function isTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** IANA time zone names, for "did you mean". */
export function timeZoneNames(): string[] {
  return ['UTC', ...Intl.supportedValuesOf('timeZone')];
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per time zone, made on first use (a RangeError for an unknown zone). */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAY_INDEX: Readonly<Record<string, number>> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

export interface LocalTime {
  /** YYYYMMDD */
  date: number;
  /** 0 = Monday ... 6 = Sunday */
  weekday: number;
  /** Minutes after local midnight, 0 ... 1439. */
  minute: number;
}

/** The wall-clock date, weekday and minute in `timeZone` at `instant` (ms since the epoch). */
export function localTime(timeZone: string, instant: number): LocalTime {
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let weekday = 0;
  for (const part of formatter(timeZone).formatToParts(instant)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'weekday':
        weekday = WEEKDAY_INDEX[part.value] ?? 0;
        break;
    }
  }
  return { date: year * 10000 + month * 100 + day, weekday, minute: hour * 60 + minute };
}

/**
 * The state of `schedule` at `instant` (ms since the epoch): 'holiday' on a holiday date (whatever
 * the hours say), else 'open' within the day's hours (start included, end excluded), else 'closed'.
 */
export function scheduleState(schedule: ScheduleConfig, instant: number): ScheduleState {
  const local = localTime(schedule.timezone, instant);
  const monthDay = local.date % 10000;
  for (const h of schedule.holidays) {
    const d = h.annual ? monthDay : local.date;
    if (d >= h.from && d <= h.to) return 'holiday';
  }
  for (const r of schedule.week[local.weekday]!) {
    if (local.minute >= r.start && local.minute < r.end) return 'open';
  }
  return 'closed';
}

/** The destination string a schedule sends calls to in `state`. */
export function branchOf(schedule: ScheduleConfig, state: ScheduleState): string {
  if (state === 'open') return schedule.open;
  if (state === 'holiday') return schedule.holiday ?? schedule.closed;
  return schedule.closed;
}
