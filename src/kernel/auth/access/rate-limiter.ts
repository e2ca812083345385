import { KernelError } from '../../errors';

/**
 * Rate limits: a token bucket per principal. Each principal may burst up to
 * `capacity` requests, then gets `refill_per_second` more per second. Buckets live
 * in this process's memory, so N scaled-out instances allow up to N times the
 * rate; the limit protects each instance from one noisy caller, it is not a quota.
 *
 * Memory stays bounded: a bucket idle long enough to have refilled completely is
 * the same as no bucket, so it is dropped; beyond `max_buckets` the least recently
 * used go first (a principal evicted that way merely starts again with a full bucket).
 */

export interface RateLimiterOptions {
  /** Burst size: requests a principal may make at once. */
  readonly capacity: number;
  /** Requests added back per second, up to capacity. */
  readonly refill_per_second: number;
  /** Most buckets held at once (default 10 000). */
  readonly max_buckets?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
}

export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retry_after_seconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const defaultMaxBuckets = 10_000;

export class RateLimiter {
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly maxBuckets: number;
  private readonly now: () => number;
  /** Insertion order is recency of use: the first entry is the least recently used. */
  private readonly buckets = new Map<string, Bucket>();
  /** After this long untouched, any bucket is full again. */
  private readonly idleMs: number;

  constructor(options: RateLimiterOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new KernelError('internal', 'Invalid rate limit', {
        detail: 'capacity must be a whole number ≥ 1.',
      });
    }
    if (!Number.isFinite(options.refill_per_second) || options.refill_per_second <= 0) {
      throw new KernelError('internal', 'Invalid rate limit', {
        detail: 'refill_per_second must be a number > 0.',
      });
    }
    this.capacity = options.capacity;
    this.refillPerSecond = options.refill_per_second;
    this.maxBuckets = Math.max(1, Math.floor(options.max_buckets ?? defaultMaxBuckets));
    this.now = options.now ?? (() => Date.now());
    this.idleMs = (this.capacity / this.refillPerSecond) * 1000;
  }

  /** Takes one request's token from the principal's bucket, or says how long to wait. */
  take(principalId: string): RateDecision {
    const now = this.now();
    this.evictIdle(now);
    const existing = this.buckets.get(principalId);
    const bucket: Bucket = existing ?? { tokens: this.capacity, updatedAt: now };
    const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(this.capacity, bucket.tokens + elapsedSeconds * this.refillPerSecond);
    bucket.updatedAt = now;
    // Re-inserting moves the bucket to the most recently used end.
    this.buckets.delete(principalId);
    this.buckets.set(principalId, bucket);
    while (this.buckets.size > this.maxBuckets) {
      const oldest = this.buckets.keys().next();
      if (oldest.done === true) break;
      this.buckets.delete(oldest.value);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return {
      allowed: false,
      retry_after_seconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerSecond)),
    };
  }

  /** Takes a token or throws 429 with a Retry-After header. */
  enforce(principalId: string): void {
    const decision = this.take(principalId);
    if (!decision.allowed) throw rateLimitedError(decision.retry_after_seconds);
  }

  /** How many principals have a bucket now (tests, metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private evictIdle(now: number): void {
    // Oldest first: the first bucket not idle long enough means none after it is.
    for (const [principalId, bucket] of this.buckets) {
      if (now - bucket.updatedAt < this.idleMs) break;
      this.buckets.delete(principalId);
    }
  }
}

/** The 429 for a caller over its rate, with `Retry-After` in seconds. */
export function rateLimitedError(retryAfterSeconds: number): KernelError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new KernelError('rate_limited', 'Too many requests', {
    detail: `Rate limit exceeded; retry after ${seconds} second${seconds === 1 ? '' : 's'}.`,
    headers: { 'retry-after': String(seconds) },
    extensions: { retry_after_seconds: seconds },
  });
}

/** Takes a token for the principal from the limiter or throws 429 with Retry-After. */
export function enforceRateLimit(limiter: RateLimiter, principalId: string): void {
  limiter.enforce(principalId);
}
