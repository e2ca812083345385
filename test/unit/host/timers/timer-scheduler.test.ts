import { describe, expect, it } from 'vitest';
import { Registrations } from '../../../../src/host/app/functions-core';
import {
  TimerScheduleError,
  collectTimers,
  scheduleFromExpression,
} from '../../../../src/host/timers/timer-scheduler';

function withTimer(schedule: unknown, runOnStartup?: boolean): Registrations {
  const registrations = new Registrations();
  registrations.functions.set('t', {
    metadata: {
      name: 't',
      bindings: {
        timerTrigger1: {
          type: 'timerTrigger',
          direction: 'in',
          schedule,
          ...(runOnStartup ? { runOnStartup } : {}),
        },
      },
    },
    callback: () => undefined,
  });
  return registrations;
}

describe('timer triggers', () => {
  it('reads NCRONTAB and TimeSpan schedules', () => {
    const start = new Date(2026, 0, 1, 0, 0, 0);
    expect(scheduleFromExpression('0 */5 * * * *').next(start)).toEqual(new Date(2026, 0, 1, 0, 5, 0));
    expect(scheduleFromExpression('00:00:30').next(start)).toEqual(new Date(2026, 0, 1, 0, 0, 30));
  });

  it('resolves %SETTING% schedules and keeps runOnStartup', () => {
    const [timer] = collectTimers(withTimer('%EVERY%', true), { EVERY: '*/10 * * * * *' });
    expect(timer?.schedule.describe).toBe('*/10 * * * * *');
    expect(timer?.runOnStartup).toBe(true);
  });

  it('names the function when its schedule is invalid or missing', () => {
    expect(() => collectTimers(withTimer('0 61 * * * *'), {})).toThrow(TimerScheduleError);
    expect(() => collectTimers(withTimer('0 61 * * * *'), {})).toThrow(/timer function 't'.*minute/);
    expect(() => collectTimers(withTimer('%NOPE%'), {})).toThrow(/NOPE/);
    expect(() => collectTimers(withTimer(undefined), {})).toThrow(/no schedule/);
    expect(() => collectTimers(withTimer('00:00:00'), {})).toThrow(/positive/);
  });
});
