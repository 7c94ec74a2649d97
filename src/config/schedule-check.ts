// Checks of `schedules:` that look across entries, which the schema sees one at a time: a day
// given by two `hours` keys, holidays that overlap. Works on the raw YAML data like references.ts.
import type { PathKey } from './positions.js';
import type { Problem } from './references.js';
import { DAYS, holidaysOverlap, parseDays, parseHoliday } from './schedule.js';
import type { HolidayRange } from './types.js';

type Raw = Record<string, unknown>;

function mapping(x: unknown): Raw {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Raw) : {};
}

export function checkSchedules(input: unknown): Problem[] {
  const problems: Problem[] = [];
  for (const [name, entry] of Object.entries(mapping(mapping(input).schedules))) {
    const schedule = mapping(entry);
    problems.push(...dayTwice(['schedules', name, 'hours'], mapping(schedule.hours)));
    if (Array.isArray(schedule.holidays)) problems.push(...holidayOverlaps(['schedules', name, 'holidays'], schedule.holidays));
  }
  return problems;
}

function dayTwice(path: PathKey[], hours: Raw): Problem[] {
  const problems: Problem[] = [];
  const givenBy = new Map<number, string>();
  for (const key of Object.keys(hours)) {
    const days = parseDays(key);
    if (typeof days === 'string') continue; // the schema reports it
    const again = days.find((d) => givenBy.has(d));
    if (again !== undefined) {
      problems.push({
        path: [...path, key],
        part: 'key',
        message: `${DAYS[again]} is already given by "${givenBy.get(again)}"; name each day once (e.g. mon-thu and fri for a short Friday)`,
      });
      continue;
    }
    for (const d of days) givenBy.set(d, key);
  }
  return problems;
}

function holidayOverlaps(path: PathKey[], holidays: unknown[]): Problem[] {
  const problems: Problem[] = [];
  const seen: { text: string; range: HolidayRange }[] = [];
  holidays.forEach((h, i) => {
    if (typeof h !== 'string') return;
    const range = parseHoliday(h);
    if (typeof range === 'string') return; // the schema reports it
    const earlier = seen.find((s) => holidaysOverlap(s.range, range));
    if (earlier !== undefined) {
      problems.push({ path: [...path, i], part: 'value', message: `holiday "${h}" overlaps "${earlier.text}"` });
      return;
    }
    seen.push({ text: h, range });
  });
  return problems;
}
