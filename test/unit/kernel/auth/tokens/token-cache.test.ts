import { describe, expect, it } from 'vitest';
import type { BearerTokenValidator, Principal } from '../../../../../src/kernel/auth/tokens';
import { AuthenticationFailure, cachingTokenValidator } from '../../../../../src/kernel/auth/tokens';

/** An inner validator that counts its checks: `good-<n>` tokens expire at n seconds, anything else is refused. */
function counting() {
  const calls: string[] = [];
  const check = async (token: string | null | undefined): Promise<Principal> => {
    calls.push(String(token));
    const match = /^good-(\d+)$/.exec(String(token));
    if (!match) throw new AuthenticationFailure('bad_signature');
    return {
      id: `p-${String(token)}`,
      name: 'someone',
      kind: 'user',
      app_id: null,
      roles: ['reader'],
      scopes: [],
      issuer: 'https://issuer.example',
      expires_at: new Date(Number(match[1]) * 1000).toISOString(),
    };
  };
  const inner: BearerTokenValidator = {
    validate: check,
    authenticate: async (header) => check(header?.replace(/^Bearer /, '')),
  };
  return { inner, calls };
}

describe('cachingTokenValidator', () => {
  it('checks a token once, then answers from the cache until it expires', async () => {
    const { inner, calls } = counting();
    let now = 100_000;
    const cache = cachingTokenValidator(inner, { now: () => now, maxAgeMs: 10 * 60_000 });
    const first = await cache.validate('good-200');
    expect(await cache.validate('good-200')).toBe(first);
    expect(await cache.authenticate('Bearer good-200')).toBe(first);
    expect(calls).toEqual(['good-200']);
    await cache.validate('good-300');
    expect(calls).toEqual(['good-200', 'good-300']);
    // At exp (200 s) the entry is gone: the inner validator decides again.
    now = 200_000;
    await cache.validate('good-200').catch(() => undefined);
    expect(calls).toEqual(['good-200', 'good-300', 'good-200']);
  });

  it('re-checks after maxAgeMs even when the token lives longer (a rotated-out key stops counting)', async () => {
    const { inner, calls } = counting();
    let now = 0;
    const cache = cachingTokenValidator(inner, { now: () => now, maxAgeMs: 1000 });
    await cache.validate('good-3600');
    now = 999;
    await cache.validate('good-3600');
    expect(calls).toHaveLength(1);
    now = 1000;
    await cache.validate('good-3600');
    expect(calls).toHaveLength(2);
  });

  it('never caches a refusal, nor a token already expired', async () => {
    const { inner, calls } = counting();
    const cache = cachingTokenValidator(inner, { now: () => 500_000 });
    for (let i = 0; i < 2; i += 1)
      await expect(cache.validate('forged')).rejects.toBeInstanceOf(AuthenticationFailure);
    await cache.validate('good-100'); // the inner validator allowed it (clock skew); exp is past
    await cache.validate('good-100');
    expect(calls).toEqual(['forged', 'forged', 'good-100', 'good-100']);
    expect(cache.size).toBe(0);
    await expect(cache.validate('')).rejects.toBeInstanceOf(AuthenticationFailure);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const { inner, calls } = counting();
    const cache = cachingTokenValidator(inner, { now: () => 0, maxEntries: 2 });
    await cache.validate('good-1000');
    await cache.validate('good-2000');
    await cache.validate('good-1000'); // now the most recent
    await cache.validate('good-3000'); // evicts good-2000
    expect(cache.size).toBe(2);
    calls.length = 0;
    await cache.validate('good-1000');
    await cache.validate('good-3000');
    expect(calls).toEqual([]);
    await cache.validate('good-2000');
    expect(calls).toEqual(['good-2000']);
  });
});
