import type { RegisteredFunction, Registrations } from '../app/functions-core';
import { resolveAppSettingExpression } from '../app/host-json';
import type { FunctionInvoker } from '../app/invoker';
import type { HostLogger } from '../logger';
import { parseNcrontab, parseTimeSpanSchedule } from './ncrontab';

/**
 * Runs timer triggers on their schedules. Like the Functions host, a timer
 * function never overlaps itself: the next occurrence is computed after the
 * previous run ends. `runOnStartup` fires once when the host starts.
 */

interface TimerSchedule {
  readonly describe: string;
  next(after: Date): Date;
}

export interface TimerFunction {
  readonly fn: RegisteredFunction;
  readonly triggerName: string;
  readonly schedule: TimerSchedule;
  readonly runOnStartup: boolean;
}

export class TimerScheduleError extends Error {}

export function scheduleFromExpression(expression: string): TimerSchedule {
  const intervalMs = parseTimeSpanSchedule(expression);
  if (intervalMs !== undefined) {
    if (intervalMs <= 0) throw new TimerScheduleError(`timer interval '${expression}' must be positive`);
    return { describe: expression, next: (after) => new Date(after.getTime() + intervalMs) };
  }
  const cron = parseNcrontab(expression);
  return { describe: expression, next: (after) => cron.nextAfter(after) };
}

export function collectTimers(
  registrations: Registrations,
  env: Readonly<Record<string, string | undefined>>,
): TimerFunction[] {
  const timers: TimerFunction[] = [];
  for (const fn of registrations.functions.values()) {
    for (const [triggerName, binding] of Object.entries(fn.metadata.bindings)) {
      if (String(binding.type).toLowerCase() !== 'timertrigger') continue;
      const raw = binding['schedule'];
      if (typeof raw !== 'string') {
        throw new TimerScheduleError(`timer function '${fn.metadata.name}' has no schedule`);
      }
      let schedule: TimerSchedule;
      try {
        schedule = scheduleFromExpression(resolveAppSettingExpression(raw, env));
      } catch (error) {
        throw new TimerScheduleError(
          `timer function '${fn.metadata.name}' has an invalid schedule '${raw}': ${(error as Error).message}`,
        );
      }
      timers.push({ fn, triggerName, schedule, runOnStartup: binding['runOnStartup'] === true });
    }
  }
  return timers;
}

interface TimerState {
  timer: NodeJS.Timeout | undefined;
  last: Date | undefined;
  running: Promise<void> | undefined;
}

export class TimerScheduler {
  readonly timers: readonly TimerFunction[];
  #states = new Map<TimerFunction, TimerState>();
  #stopped = false;

  constructor(
    registrations: Registrations,
    private readonly invoker: FunctionInvoker,
    private readonly logger: HostLogger,
    env: Readonly<Record<string, string | undefined>>,
  ) {
    this.timers = collectTimers(registrations, env);
  }

  start(): void {
    for (const timer of this.timers) {
      const state: TimerState = { timer: undefined, last: undefined, running: undefined };
      this.#states.set(timer, state);
      if (timer.runOnStartup) this.fire(timer, state, new Date(), false);
      else this.arm(timer, state);
    }
  }

  /** Cancels future runs and waits for runs in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const running: Promise<void>[] = [];
    for (const state of this.#states.values()) {
      clearTimeout(state.timer);
      if (state.running) running.push(state.running);
    }
    await Promise.allSettled(running);
  }

  private arm(timer: TimerFunction, state: TimerState): void {
    if (this.#stopped) return;
    const due = timer.schedule.next(new Date());
    // setTimeout cannot wait longer than ~24.8 days; re-arm in steps for far schedules.
    const delay = Math.min(due.getTime() - Date.now(), 2 ** 31 - 1);
    state.timer = setTimeout(
      () => {
        if (Date.now() + 5 < due.getTime()) this.arm(timer, state);
        else this.fire(timer, state, due, Date.now() - due.getTime() > 1_000);
      },
      Math.max(0, delay),
    );
    state.timer.unref?.();
  }

  private fire(timer: TimerFunction, state: TimerState, scheduled: Date, isPastDue: boolean): void {
    if (this.#stopped) return;
    const next = timer.schedule.next(new Date());
    const payload = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: (state.last ?? new Date(0)).toISOString(),
        Next: next.toISOString(),
        LastUpdated: scheduled.toISOString(),
      },
      IsPastDue: isPastDue,
    };
    state.last = scheduled;
    state.running = this.invoker
      .invoke(timer.fn, {
        inputData: [{ name: timer.triggerName, data: { json: JSON.stringify(payload) } }],
        reason: `Timer fired at ${new Date().toISOString()}`,
      })
      .then(
        () => undefined,
        () => undefined, // the invoker has logged the failure; a timer keeps its schedule
      )
      .finally(() => {
        state.running = undefined;
        this.arm(timer, state);
      });
  }
}
