import { describe, expect, it } from 'vitest';

import { NcrontabError, parseNcrontab, parseTimeSpanSchedule } from '../../../../src/host/timers/ncrontab';

/** Local wall-clock fields of a Date, so assertions hold in any TZ. */
function local(d: Date): [number, number, number, number, number, number] {
  return [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
}

function at(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): Date {
  return new Date(year, month - 1, day, hour, minute, second);
}

function range(from: number, to: number, step = 1): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

function expectFieldError(expression: string, pattern: RegExp): void {
  expect(() => parseNcrontab(expression)).toThrow(NcrontabError);
  expect(() => parseNcrontab(expression)).toThrow(pattern);
}

describe('parseNcrontab parsing', () => {
  it('keeps the original expression', () => {
    expect(parseNcrontab('0 */5 * * * *').expression).toBe('0 */5 * * * *');
  });

  it('expands * to the whole range of each field', () => {
    const s = parseNcrontab('* * * * * *');
    expect(s.seconds).toEqual(range(0, 59));
    expect(s.minutes).toEqual(range(0, 59));
    expect(s.hours).toEqual(range(0, 23));
    expect(s.daysOfMonth).toEqual(range(1, 31));
    expect(s.months).toEqual(range(1, 12));
    expect(s.daysOfWeek).toEqual(range(0, 6));
  });

  it('reads single numbers', () => {
    const s = parseNcrontab('5 10 15 20 6 3');
    expect([s.seconds, s.minutes, s.hours, s.daysOfMonth, s.months, s.daysOfWeek]).toEqual([
      [5],
      [10],
      [15],
      [20],
      [6],
      [3],
    ]);
  });

  it('reads ranges a-b inclusively', () => {
    expect(parseNcrontab('0 10-15 * * * *').minutes).toEqual([10, 11, 12, 13, 14, 15]);
  });

  it('reads */n as every n-th value from the field minimum', () => {
    expect(parseNcrontab('*/15 * * * * *').seconds).toEqual([0, 15, 30, 45]);
    expect(parseNcrontab('0 0 0 */10 * *').daysOfMonth).toEqual([1, 11, 21, 31]);
  });

  it('reads a-b/n as every n-th value within the range', () => {
    expect(parseNcrontab('0 0 8-18/3 * * *').hours).toEqual([8, 11, 14, 17]);
  });

  it('reads a/n as every n-th value from a to the field maximum', () => {
    expect(parseNcrontab('0 7/20 * * * *').minutes).toEqual([7, 27, 47]);
  });

  it('reads comma lists mixing forms, sorted and de-duplicated', () => {
    expect(parseNcrontab('0 50,0-10/5,5,*/30 * * * *').minutes).toEqual([0, 5, 10, 30, 50]);
  });

  it('reads month names case-insensitively, also in ranges', () => {
    expect(parseNcrontab('0 0 0 1 JAN,jul * ').months).toEqual([1, 7]);
    expect(parseNcrontab('0 0 0 1 Mar-May *').months).toEqual([3, 4, 5]);
  });

  it('reads day names case-insensitively, also in ranges', () => {
    expect(parseNcrontab('0 0 0 * * Mon-Fri').daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(parseNcrontab('0 0 0 * * sun,SAT').daysOfWeek).toEqual([0, 6]);
  });

  it('treats day-of-week 7 as Sunday', () => {
    expect(parseNcrontab('0 0 0 * * 7').daysOfWeek).toEqual([0]);
    expect(parseNcrontab('0 0 0 * * 5-7').daysOfWeek).toEqual([0, 5, 6]);
  });

  it('reads five fields as minute-first with second 0', () => {
    const s = parseNcrontab('30 9 * * 1-5');
    expect(s.seconds).toEqual([0]);
    expect(s.minutes).toEqual([30]);
    expect(s.hours).toEqual([9]);
    expect(s.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
  });

  it('tolerates surrounding and repeated whitespace', () => {
    expect(parseNcrontab('  0  0\t12 * * *  ').hours).toEqual([12]);
  });
});

describe('parseNcrontab errors', () => {
  it('rejects an empty expression', () => {
    expectFieldError('   ', /empty/);
  });

  it('rejects a wrong number of fields', () => {
    expectFieldError('* * * *', /4 fields/);
    expectFieldError('* * * * * * *', /7 fields/);
  });

  it('names the field of an out-of-range value', () => {
    expectFieldError('0 61 * * * *', /minute field '61' is out of range 0-59/);
    expectFieldError('60 * * * * *', /second field '60' is out of range 0-59/);
    expectFieldError('0 0 24 * * *', /hour field '24' is out of range 0-23/);
    expectFieldError('0 0 0 0 * *', /day field '0' is out of range 1-31/);
    expectFieldError('0 0 0 1 13 *', /month field '13' is out of range 1-12/);
    expectFieldError('0 0 0 * * 8', /day-of-week field '8' is out of range/);
  });

  it('names the field of an unreadable token', () => {
    expectFieldError('0 abc * * * *', /minute field 'abc' has an invalid value 'abc'/);
    expectFieldError('0 0 0 * Foo *', /month field 'Foo'/);
    expectFieldError('0 0 -1 * * *', /hour field '-1'/);
    expectFieldError('0 0 0 * * Mon-', /day-of-week field 'Mon-' is missing a value/);
  });

  it('names the field of a zero or non-numeric step', () => {
    expectFieldError('*/0 * * * * *', /second field '\*\/0' has a step of 0/);
    expectFieldError('0 */x * * * *', /minute field '\*\/x' has a step 'x' that is not a number/);
    expectFieldError('0 1/2/3 * * * *', /minute field '1\/2\/3' has more than one '\/'/);
  });

  it('names the field of a reversed range', () => {
    expectFieldError('0 0 17-9 * * *', /hour field '17-9' has a reversed range '17-9'/);
    expectFieldError('0 0 0 * * Fri-Mon', /day-of-week field 'Fri-Mon' has a reversed range/);
  });

  it('names the field of an empty list item', () => {
    expectFieldError('0 1,,2 * * * *', /minute field '1,,2' has an empty list item/);
  });
});

describe('NcrontabSchedule.nextAfter', () => {
  it('fires every 5 seconds', () => {
    const s = parseNcrontab('*/5 * * * * *');
    expect(local(s.nextAfter(at(2026, 1, 1, 10, 0, 0)))).toEqual([2026, 1, 1, 10, 0, 5]);
    expect(local(s.nextAfter(at(2026, 1, 1, 10, 0, 3)))).toEqual([2026, 1, 1, 10, 0, 5]);
    expect(local(s.nextAfter(at(2026, 1, 1, 10, 0, 57)))).toEqual([2026, 1, 1, 10, 1, 0]);
  });

  it('returns a time strictly after the given one, at whole-second precision', () => {
    const s = parseNcrontab('* * * * * *');
    const start = at(2026, 1, 1, 10, 0, 0);
    start.setMilliseconds(999);
    const next = s.nextAfter(start);
    expect(local(next)).toEqual([2026, 1, 1, 10, 0, 1]);
    expect(next.getMilliseconds()).toBe(0);
  });

  it('fires at the start of every fifth minute for 0 */5 * * * *', () => {
    const s = parseNcrontab('0 */5 * * * *');
    expect(local(s.nextAfter(at(2026, 3, 10, 8, 0, 0)))).toEqual([2026, 3, 10, 8, 5, 0]);
    expect(local(s.nextAfter(at(2026, 3, 10, 8, 7, 30)))).toEqual([2026, 3, 10, 8, 10, 0]);
    expect(local(s.nextAfter(at(2026, 3, 10, 23, 59, 59)))).toEqual([2026, 3, 11, 0, 0, 0]);
  });

  it('rolls 0 30 9 * * 1-5 from Friday over the weekend to Monday', () => {
    const s = parseNcrontab('0 30 9 * * 1-5');
    // 2026-01-09 is a Friday.
    expect(at(2026, 1, 9).getDay()).toBe(5);
    expect(local(s.nextAfter(at(2026, 1, 9, 9, 0, 0)))).toEqual([2026, 1, 9, 9, 30, 0]);
    const monday = s.nextAfter(at(2026, 1, 9, 9, 30, 0));
    expect(local(monday)).toEqual([2026, 1, 12, 9, 30, 0]);
    expect(monday.getDay()).toBe(1);
  });

  it('rolls over the month and year for 0 0 0 1 1 * on 31 December', () => {
    const s = parseNcrontab('0 0 0 1 1 *');
    expect(local(s.nextAfter(at(2026, 12, 31, 12, 0, 0)))).toEqual([2027, 1, 1, 0, 0, 0]);
    expect(local(s.nextAfter(at(2027, 1, 1, 0, 0, 0)))).toEqual([2028, 1, 1, 0, 0, 0]);
  });

  it('rolls over to the next month when the day does not exist in this one', () => {
    const s = parseNcrontab('0 0 12 31 * *');
    expect(local(s.nextAfter(at(2026, 4, 1)))).toEqual([2026, 5, 31, 12, 0, 0]);
  });

  it('finds the next leap day for 0 0 0 29 2 *', () => {
    const s = parseNcrontab('0 0 0 29 2 *');
    expect(local(s.nextAfter(at(2026, 1, 1)))).toEqual([2028, 2, 29, 0, 0, 0]);
    expect(local(s.nextAfter(at(2028, 2, 29, 0, 0, 0)))).toEqual([2032, 2, 29, 0, 0, 0]);
  });

  it('requires both day-of-month and day-of-week to match when both are restricted', () => {
    const s = parseNcrontab('0 0 0 13 * 5');
    const first = s.nextAfter(at(2026, 1, 1));
    // Friday the 13th, not "every 13th or every Friday".
    expect(local(first)).toEqual([2026, 2, 13, 0, 0, 0]);
    expect(first.getDay()).toBe(5);
    const second = s.nextAfter(first);
    expect(local(second)).toEqual([2026, 3, 13, 0, 0, 0]);
    expect(local(s.nextAfter(second))).toEqual([2026, 11, 13, 0, 0, 0]);
  });

  it('fires the 5-field form on the minute', () => {
    const s = parseNcrontab('15 14 * * *');
    expect(local(s.nextAfter(at(2026, 6, 1, 14, 15, 0)))).toEqual([2026, 6, 2, 14, 15, 0]);
    expect(local(s.nextAfter(at(2026, 6, 1, 9, 0, 0)))).toEqual([2026, 6, 1, 14, 15, 0]);
  });

  it('honours month and day names', () => {
    const s = parseNcrontab('0 0 8 * Jun-Aug Sat,Sun');
    // 2026-06-06 is the first Saturday of June 2026.
    expect(local(s.nextAfter(at(2026, 1, 1)))).toEqual([2026, 6, 6, 8, 0, 0]);
    expect(local(s.nextAfter(at(2026, 8, 31)))).toEqual([2027, 6, 5, 8, 0, 0]);
  });

  it('steps over hours and minutes that are not in the schedule', () => {
    const s = parseNcrontab('10 20 3,15 * * *');
    expect(local(s.nextAfter(at(2026, 5, 5, 3, 20, 10)))).toEqual([2026, 5, 5, 15, 20, 10]);
    expect(local(s.nextAfter(at(2026, 5, 5, 15, 20, 10)))).toEqual([2026, 5, 6, 3, 20, 10]);
  });

  it('throws NcrontabError for a schedule that can never fire', () => {
    const s = parseNcrontab('0 0 0 31 2 *');
    expect(() => s.nextAfter(at(2026, 1, 1))).toThrow(NcrontabError);
    expect(() => s.nextAfter(at(2026, 1, 1))).toThrow(/no occurrence within 5 years/);
  });

  it('gives up quickly on a never-firing schedule', () => {
    const s = parseNcrontab('* * * 30 2 *');
    const started = performance.now();
    expect(() => s.nextAfter(at(2026, 1, 1))).toThrow(NcrontabError);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('rejects an invalid Date', () => {
    expect(() => parseNcrontab('* * * * * *').nextAfter(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('parseTimeSpanSchedule', () => {
  it('reads hh:mm:ss as milliseconds', () => {
    expect(parseTimeSpanSchedule('00:00:10')).toBe(10_000);
    expect(parseTimeSpanSchedule('01:30:00')).toBe(5_400_000);
  });

  it('reads d.hh:mm:ss with a day count', () => {
    expect(parseTimeSpanSchedule('1.00:00:00')).toBe(86_400_000);
    expect(parseTimeSpanSchedule('2.03:04:05')).toBe(((2 * 24 + 3) * 3600 + 4 * 60 + 5) * 1000);
  });

  it('reads hh:mm and fractional seconds as .NET TimeSpan does', () => {
    expect(parseTimeSpanSchedule('00:05')).toBe(300_000);
    expect(parseTimeSpanSchedule('00:00:01.5')).toBe(1_500);
  });

  it('returns undefined for NCRONTAB expressions and other text', () => {
    expect(parseTimeSpanSchedule('0 */5 * * * *')).toBeUndefined();
    expect(parseTimeSpanSchedule('10')).toBeUndefined();
    expect(parseTimeSpanSchedule('')).toBeUndefined();
    expect(parseTimeSpanSchedule('-00:00:10')).toBeUndefined();
  });

  it('returns undefined for out-of-range components', () => {
    expect(parseTimeSpanSchedule('24:00:00')).toBeUndefined();
    expect(parseTimeSpanSchedule('00:60:00')).toBeUndefined();
    expect(parseTimeSpanSchedule('00:00:60')).toBeUndefined();
  });

  it('returns 0 for a zero interval, leaving its rejection to the caller', () => {
    expect(parseTimeSpanSchedule('00:00:00')).toBe(0);
  });
});
