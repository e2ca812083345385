/**
 * Timer-trigger schedules for the local Functions runtime. Azure Functions reads a
 * timer's schedule either as an NCRONTAB expression (six fields, seconds first) or
 * as a TimeSpan interval; this module understands both so the local host fires
 * timers when the cloud host would, without pulling in a cron library whose
 * dialect (five fields, OR-ed day fields) differs in ways that matter.
 */

export class NcrontabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NcrontabError';
  }
}

export interface NcrontabSchedule {
  readonly expression: string;
  /** Sorted, de-duplicated values each field allows; day-of-week uses 0 = Sunday. */
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  readonly daysOfWeek: readonly number[];
  /** First occurrence strictly after `date`, in the process's local time zone. */
  nextAfter(date: Date): Date;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Three-letter names, index + min = value. */
  readonly names?: readonly string[];
}

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAY: FieldSpec = { name: 'day', min: 1, max: 31 };
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
// 7 is accepted as a second spelling of Sunday (as in most cron dialects) and folded to 0 afterwards.
const DAY_OF_WEEK: FieldSpec = {
  name: 'day-of-week',
  min: 0,
  max: 7,
  names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};

/** How far ahead nextAfter looks before deciding a schedule can never fire (e.g. 30 February). */
const SEARCH_YEARS = 5;

export function parseNcrontab(expression: string): NcrontabSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length === 1 && fields[0] === '') {
    throw new NcrontabError('NCRONTAB expression is empty; expected 6 fields (or 5 without seconds)');
  }
  if (fields.length !== 5 && fields.length !== 6) {
    throw new NcrontabError(
      `NCRONTAB expression '${expression}' has ${fields.length} fields; expected 6 ` +
        '({second} {minute} {hour} {day} {month} {day-of-week}) or 5 without seconds',
    );
  }
  const withSeconds = fields.length === 6 ? fields : ['0', ...fields];
  const [second, minute, hour, day, month, dayOfWeek] = withSeconds as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return new ParsedSchedule(expression, {
    seconds: parseField(second, SECOND),
    minutes: parseField(minute, MINUTE),
    hours: parseField(hour, HOUR),
    daysOfMonth: parseField(day, DAY),
    months: parseField(month, MONTH),
    daysOfWeek: [...new Set(parseField(dayOfWeek, DAY_OF_WEEK).map((d) => d % 7))].sort((a, b) => a - b),
  });
}

function parseField(text: string, spec: FieldSpec): number[] {
  const fail: (problem: string) => never = (problem) => {
    throw new NcrontabError(`${spec.name} field '${text}' ${problem}`);
  };
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') fail('has an empty list item');
    const parts = item.split('/');
    if (parts.length > 2) fail(`has more than one '/' in '${item}'`);
    const [base = '', stepText] = parts;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) fail(`has a step '${stepText}' that is not a number`);
      step = Number(stepText);
      if (step === 0) fail('has a step of 0');
    }
    let from: number;
    let to: number;
    if (base === '*') {
      from = spec.min;
      // '*' over day-of-week must not include the alias 7, or '*/2' would pick Sunday twice.
      to = spec === DAY_OF_WEEK ? 6 : spec.max;
    } else {
      const dash = base.indexOf('-');
      if (dash >= 0) {
        from = parseValue(base.slice(0, dash), spec, text);
        to = parseValue(base.slice(dash + 1), spec, text);
        if (from > to) fail(`has a reversed range '${base}'`);
      } else {
        from = parseValue(base, spec, text);
        // 'a/n' runs from a to the end of the field, as in NCrontab.
        to = stepText === undefined ? from : spec === DAY_OF_WEEK ? Math.max(from, 6) : spec.max;
      }
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

function parseValue(token: string, spec: FieldSpec, fieldText: string): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < spec.min || value > spec.max) {
      const range = spec === DAY_OF_WEEK ? '0-6 (or 7 for Sunday)' : `${spec.min}-${spec.max}`;
      throw new NcrontabError(`${spec.name} field '${fieldText}' is out of range ${range}`);
    }
    return value;
  }
  const index = spec.names?.indexOf(token.toLowerCase()) ?? -1;
  if (index >= 0) return index + spec.min;
  const what = token === '' ? 'is missing a value' : `has an invalid value '${token}'`;
  throw new NcrontabError(`${spec.name} field '${fieldText}' ${what}`);
}

interface Fields {
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  readonly daysOfWeek: readonly number[];
}

class ParsedSchedule implements NcrontabSchedule {
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  readonly daysOfWeek: readonly number[];
  private readonly daySet: ReadonlySet<number>;
  private readonly weekdaySet: ReadonlySet<number>;

  constructor(
    readonly expression: string,
    fields: Fields,
  ) {
    this.seconds = fields.seconds;
    this.minutes = fields.minutes;
    this.hours = fields.hours;
    this.daysOfMonth = fields.daysOfMonth;
    this.months = fields.months;
    this.daysOfWeek = fields.daysOfWeek;
    this.daySet = new Set(fields.daysOfMonth);
    this.weekdaySet = new Set(fields.daysOfWeek);
  }

  nextAfter(date: Date): Date {
    const after = date.getTime();
    if (Number.isNaN(after)) throw new RangeError('nextAfter needs a valid Date');
    // The search runs on wall-clock fields (stored as a UTC timestamp so the arithmetic
    // is free of DST), and only the answer is turned into a local instant.
    let wall =
      wallClock(
        date.getFullYear(),
        date.getMonth(),
        date.getDate(),
        date.getHours(),
        date.getMinutes(),
        date.getSeconds(),
      ) + 1000;
    const lastYear = date.getFullYear() + SEARCH_YEARS;
    for (;;) {
      const found = this.nextWallClock(wall, lastYear);
      const t = new Date(found);
      const local = localInstant(
        t.getUTCFullYear(),
        t.getUTCMonth(),
        t.getUTCDate(),
        t.getUTCHours(),
        t.getUTCMinutes(),
        t.getUTCSeconds(),
      );
      // When clocks fall back, a repeated wall-clock time resolves to its first instant,
      // which may lie before `date`; keep looking so the hour does not fire twice.
      if (local.getTime() > after) return local;
      wall = found + 1000;
    }
  }

  /** Earliest matching wall-clock time at or after `wall` (a UTC-encoded wall-clock timestamp). */
  private nextWallClock(wall: number, lastYear: number): number {
    let t = new Date(wall);
    for (;;) {
      const year = t.getUTCFullYear();
      if (year > lastYear) {
        throw new NcrontabError(
          `NCRONTAB expression '${this.expression}' has no occurrence within ${SEARCH_YEARS} years`,
        );
      }
      const month = t.getUTCMonth() + 1;
      const nextMonth = firstAtLeast(this.months, month);
      if (nextMonth !== month) {
        t =
          nextMonth === undefined
            ? new Date(wallClock(year + 1, (this.months[0] ?? 1) - 1, 1))
            : new Date(wallClock(year, nextMonth - 1, 1));
        continue;
      }
      const day = t.getUTCDate();
      // NCrontab requires BOTH the day-of-month and the day-of-week to match (Vixie cron
      // would accept either when both are restricted), so '0 0 0 13 * 5' means Friday the 13th.
      // A '*' field allows every value, so the rule only bites when both are restricted.
      if (!this.daySet.has(day) || !this.weekdaySet.has(t.getUTCDay())) {
        t = new Date(wallClock(year, month - 1, day + 1));
        continue;
      }
      const hour = t.getUTCHours();
      const nextHour = firstAtLeast(this.hours, hour);
      if (nextHour !== hour) {
        t = new Date(
          nextHour === undefined
            ? wallClock(year, month - 1, day + 1)
            : wallClock(year, month - 1, day, nextHour),
        );
        continue;
      }
      const minute = t.getUTCMinutes();
      const nextMinute = firstAtLeast(this.minutes, minute);
      if (nextMinute !== minute) {
        t = new Date(
          nextMinute === undefined
            ? wallClock(year, month - 1, day, hour + 1)
            : wallClock(year, month - 1, day, hour, nextMinute),
        );
        continue;
      }
      const second = t.getUTCSeconds();
      const nextSecond = firstAtLeast(this.seconds, second);
      if (nextSecond === undefined) {
        t = new Date(wallClock(year, month - 1, day, hour, minute + 1));
        continue;
      }
      return wallClock(year, month - 1, day, hour, minute, nextSecond);
    }
  }
}

function firstAtLeast(sorted: readonly number[], value: number): number | undefined {
  for (const v of sorted) if (v >= value) return v;
  return undefined;
}

// setUTCFullYear/setFullYear rather than the Date constructor, which maps years 0-99 to 1900-1999.
function wallClock(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/**
 * A wall-clock time that falls in a spring-forward gap comes out shifted forward by the
 * gap, so a schedule inside the missing hour still fires once, just after the change.
 */
function localInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): Date {
  const d = new Date(2000, 0, 1);
  d.setFullYear(year, month, day);
  d.setHours(hour, minute, second, 0);
  return d;
}

/**
 * Recognises the TimeSpan form Functions also accepts for a timer schedule
 * (`hh:mm:ss`, `d.hh:mm:ss`, optionally `hh:mm` or fractional seconds, as .NET's
 * TimeSpan parser would) and returns the interval in milliseconds. Anything else,
 * including an NCRONTAB expression, yields undefined so the caller can try that next.
 * A zero interval is returned as 0: it is well-formed, and rejecting it is the caller's policy.
 */
export function parseTimeSpanSchedule(value: string): number | undefined {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/.exec(value.trim());
  if (m === null) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = m;
  const h = Number(hours);
  const min = Number(minutes);
  const s = Number(seconds);
  if (h > 23 || min > 59 || s > 59) return undefined;
  return (
    ((Number(days) * 24 + h) * 60 + min) * 60_000 +
    s * 1000 +
    Math.round(Number(`0.${fraction || '0'}`) * 1000)
  );
}
