import { describe, expect, it } from 'vitest';
import { RateLimiter, enforceRateLimit } from '../../../../../src/kernel/auth/access';
import { KernelError, toProblem } from '../../../../../src/kernel/errors';

function limiter(options: { capacity: number; refill_per_second: number; max_buckets?: number }) {
  let now = 1_700_000_000_000;
  const instance = new RateLimiter({ ...options, now: () => now });
  return {
    limiter: instance,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function allowedCount(target: RateLimiter, principalId: string, attempts: number): number {
  let allowed = 0;
  for (let i = 0; i < attempts; i += 1) if (target.take(principalId).allowed) allowed += 1;
  return allowed;
}

describe('RateLimiter', () => {
  it('allows a burst of capacity, then refuses with the seconds until the next token', () => {
    const { limiter: l } = limiter({ capacity: 3, refill_per_second: 0.5 });
    expect(allowedCount(l, 'alice', 3)).toBe(3);
    expect(l.take('alice')).toEqual({ allowed: false, retry_after_seconds: 2 });
  });

  it('throws 429 with a Retry-After header once the burst is spent', () => {
    const { limiter: l } = limiter({ capacity: 2, refill_per_second: 0.25 });
    enforceRateLimit(l, 'alice');
    l.enforce('alice');
    let error: unknown;
    try {
      enforceRateLimit(l, 'alice');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KernelError);
    const { problem, headers } = toProblem(error);
    expect(problem.status).toBe(429);
    expect(headers['retry-after']).toBe('4');
    expect(problem['retry_after_seconds']).toBe(4);
  });

  it('refills over time, never beyond capacity', () => {
    const { limiter: l, advance } = limiter({ capacity: 5, refill_per_second: 2 });
    expect(allowedCount(l, 'alice', 5)).toBe(5);
    expect(l.take('alice').allowed).toBe(false);
    advance(500);
    expect(allowedCount(l, 'alice', 3)).toBe(1);
    advance(1500);
    expect(allowedCount(l, 'alice', 5)).toBe(3);
    advance(3_600_000);
    expect(allowedCount(l, 'alice', 10)).toBe(5);
  });

  it('shortens Retry-After as tokens come back', () => {
    const { limiter: l, advance } = limiter({ capacity: 1, refill_per_second: 0.1 });
    l.take('alice');
    expect(l.take('alice')).toEqual({ allowed: false, retry_after_seconds: 10 });
    advance(6_500);
    expect(l.take('alice')).toEqual({ allowed: false, retry_after_seconds: 4 });
  });

  it('keeps each principal in its own bucket', () => {
    const { limiter: l } = limiter({ capacity: 2, refill_per_second: 1 });
    expect(allowedCount(l, 'alice', 5)).toBe(2);
    expect(allowedCount(l, 'bob', 5)).toBe(2);
    expect(l.take('alice').allowed).toBe(false);
  });

  it('drops buckets that have been idle long enough to be full again', () => {
    const { limiter: l, advance } = limiter({ capacity: 4, refill_per_second: 2 });
    l.take('alice');
    l.take('bob');
    expect(l.size).toBe(2);
    advance(1_999);
    l.take('carol');
    expect(l.size).toBe(3);
    advance(1);
    l.take('carol');
    expect(l.size).toBe(1);
    // Dropping changed nothing for alice: a fresh bucket is a full one.
    expect(allowedCount(l, 'alice', 10)).toBe(4);
  });

  it('holds at most max_buckets, letting go of the least recently used', () => {
    const { limiter: l } = limiter({ capacity: 1, refill_per_second: 0.001, max_buckets: 3 });
    for (const id of ['a', 'b', 'c']) l.take(id);
    l.take('a'); // a is now the most recently used; b the least.
    l.take('d');
    expect(l.size).toBe(3);
    expect(l.take('a').allowed).toBe(false);
    expect(l.take('c').allowed).toBe(false);
    expect(l.take('b').allowed).toBe(true);
    for (let i = 0; i < 1000; i += 1) l.take(`p${i}`);
    expect(l.size).toBe(3);
  });

  it('refuses options that cannot work', () => {
    expect(() => new RateLimiter({ capacity: 0, refill_per_second: 1 })).toThrow(KernelError);
    expect(() => new RateLimiter({ capacity: 1.5, refill_per_second: 1 })).toThrow(KernelError);
    expect(() => new RateLimiter({ capacity: 1, refill_per_second: 0 })).toThrow(KernelError);
    expect(() => new RateLimiter({ capacity: 1, refill_per_second: Number.NaN })).toThrow(KernelError);
  });
});
