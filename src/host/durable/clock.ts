/**
 * Time for the Durable runtime. The real clock uses wall time; the virtual clock
 * only moves when told to, or, with time skipping, jumps straight to the next
 * timer whenever the runtime has nothing else to do. A test of a 7-day approval
 * deadline then takes milliseconds.
 */

export interface Clock {
  now(): number;
  /** Calls `callback` once the clock reaches `at` (ms since epoch). */
  schedule(at: number, callback: () => void): ClockTimer;
}

export interface ClockTimer {
  cancel(): void;
}

export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }

  schedule(at: number, callback: () => void): ClockTimer {
    let handle: NodeJS.Timeout | undefined;
    const arm = () => {
      const delay = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1);
      // setTimeout may wake a millisecond early; fire only once the time has really come,
      // since the runtime treats a timer message as visible from its due time on.
      handle = setTimeout(() => (Date.now() < at ? arm() : callback()), Math.max(delay, 1));
      handle.unref();
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  }
}

interface VirtualEntry {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #entries: VirtualEntry[] = [];

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  schedule(at: number, callback: () => void): ClockTimer {
    const entry: VirtualEntry = { at, seq: this.#seq++, callback, cancelled: false };
    if (at <= this.#now) {
      queueMicrotask(() => {
        if (!entry.cancelled) callback();
      });
      return { cancel: () => (entry.cancelled = true) };
    }
    this.#entries.push(entry);
    this.#entries.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return { cancel: () => (entry.cancelled = true) };
  }

  /** The time of the earliest pending timer, if any. */
  nextTimerAt(): number | undefined {
    this.#entries = this.#entries.filter((e) => !e.cancelled);
    return this.#entries[0]?.at;
  }

  /** Moves time forward by `ms`, firing every timer that comes due, in order. */
  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
  }

  advanceTo(target: number): void {
    if (target < this.#now) throw new RangeError('a virtual clock cannot go backwards');
    for (;;) {
      const next = this.#entries.find((e) => !e.cancelled);
      if (!next || next.at > target) break;
      this.#entries.splice(this.#entries.indexOf(next), 1);
      this.#now = next.at;
      next.callback();
    }
    this.#now = target;
  }
}
