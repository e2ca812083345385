import { createHash } from 'node:crypto';
import type { Principal } from './principal';
import type { BearerTokenValidator } from './token-validator';
import { bearerTokenFrom } from './token-validator';

/**
 * Remembers tokens that validated, so a client sending the same token on every
 * request pays for the signature check once, not per request (an ES256/RS256
 * verification is most of an authenticated request's CPU).
 *
 * Only successes are kept: a refused token goes through the full check (and its
 * audit hook) every time. An entry lives until the token's `exp` or `maxAgeMs`
 * after it was checked, whichever comes first, so a token is never accepted past
 * its expiry; `maxAgeMs` bounds how long a token checked against a signing key
 * that has since been rotated out stays accepted. Entries are keyed by the
 * token's SHA-256, so the cache holds no token, and the least recently used go
 * first past `maxEntries`.
 */

export interface TokenCacheOptions {
  /** Default 1,000. */
  readonly maxEntries?: number;
  /** Default 5 minutes. */
  readonly maxAgeMs?: number;
  readonly now?: () => number;
}

export const tokenCacheDefaults = { maxEntries: 1000, maxAgeMs: 5 * 60_000 } as const;

export function cachingTokenValidator(
  inner: BearerTokenValidator,
  options: TokenCacheOptions = {},
): BearerTokenValidator & { readonly size: number; clear(): void } {
  const maxEntries = Math.max(1, options.maxEntries ?? tokenCacheDefaults.maxEntries);
  const maxAgeMs = Math.max(0, options.maxAgeMs ?? tokenCacheDefaults.maxAgeMs);
  const now = options.now ?? Date.now;
  const entries = new Map<string, { readonly principal: Principal; readonly until: number }>();

  const validate = async (token: string | null | undefined): Promise<Principal> => {
    if (typeof token !== 'string' || token === '') return inner.validate(token);
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = entries.get(key);
    const at = now();
    if (hit !== undefined) {
      entries.delete(key);
      if (at < hit.until) {
        entries.set(key, hit); // most recently used last
        return hit.principal;
      }
    }
    const principal = await inner.validate(token);
    const expires = Date.parse(principal.expires_at);
    const until = Math.min(Number.isFinite(expires) ? expires : at, now() + maxAgeMs);
    if (until > now()) {
      entries.set(key, { principal, until });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    }
    return principal;
  };

  return {
    validate,
    authenticate: (authorization) => {
      const token = bearerTokenFrom(authorization);
      return token === undefined ? inner.authenticate(authorization) : validate(token);
    },
    get size() {
      return entries.size;
    },
    clear: () => entries.clear(),
  };
}
