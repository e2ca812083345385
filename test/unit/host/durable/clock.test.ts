import { describe, expect, it } from 'vitest';
import { RealClock, VirtualClock } from '../../../../src/host/durable/clock';

describe('RealClock', () => {
  it('never fires before the due time (timer messages become visible exactly then)', async () => {
    const clock = new RealClock();
    const early: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const at = Date.now() + (i % 7);
        return new Promise<void>((resolve) =>
          clock.schedule(at, () => {
            if (Date.now() < at) early.push(at - Date.now());
            resolve();
          }),
        );
      }),
    );
    expect(early).toEqual([]);
  });
});

describe('VirtualClock', () => {
  it('fires due timers in order as time advances, and cancelled ones never', () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    clock.schedule(1500, () => fired.push('b'));
    clock.schedule(1200, () => fired.push('a'));
    const cancelled = clock.schedule(1300, () => fired.push('x'));
    cancelled.cancel();
    expect(clock.nextTimerAt()).toBe(1200);
    clock.advance(300);
    expect(fired).toEqual(['a']);
    expect(clock.now()).toBe(1300);
    clock.advanceTo(2000);
    expect(fired).toEqual(['a', 'b']);
    expect(() => clock.advanceTo(10)).toThrow(RangeError);
  });
});
