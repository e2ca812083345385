import { KernelError } from '../../errors';

/**
 * Why a bearer token was refused. The caller never sees this (telling an attacker
 * which check failed helps them forge the next attempt); it is for the audit log.
 */
export const authenticationFailureReasons = [
  /** No token at all (no header, an empty header, `Bearer` with nothing after it). */
  'missing',
  /** Not a compact JWS: wrong number of parts, bad base64url, not JSON, no `kid`, too long. */
  'malformed',
  /** `alg` outside the allow-list (`none`, HS256, PS256, …). */
  'alg_not_allowed',
  /** No trusted key has the token's `kid` (even after the one refresh the cool-down allows). */
  'unknown_kid',
  /** The key source has never been able to load any key (IdP unreachable since start). */
  'keys_unavailable',
  /** The signature does not verify with the key named by `kid`. */
  'bad_signature',
  'expired',
  'not_yet_valid',
  'wrong_issuer',
  'wrong_audience',
  /** A claim the kernel needs is absent (`exp`, or both `oid` and `sub`). */
  'missing_claim',
  /** A claim has the wrong type or shape (`roles` not a string array, a bad `aos_app`, …). */
  'invalid_claim',
  /** Anything unexpected while validating; the cause is attached. */
  'error',
] as const;

export type AuthenticationFailureReason = (typeof authenticationFailureReasons)[number];

/**
 * Header values read from the token before it was verified, kept only to make the
 * audit record useful (which issuer, which key). Attacker-controlled: truncated.
 */
export interface UnverifiedTokenFacts {
  readonly alg?: string;
  readonly kid?: string;
  readonly iss?: string;
}

/** The one answer every refused token gets: nothing in it depends on the reason. */
export const unauthorizedDetail = 'The bearer token is not valid.';

/**
 * RFC 6750 §3.1: a request with no credentials gets a bare challenge; a request with
 * a bad token gets `error="invalid_token"`.
 */
export function bearerChallenge(reason: AuthenticationFailureReason): string {
  return reason === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"';
}

const factLimit = 200;

function clip(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.slice(0, factLimit);
}

/**
 * A refused bearer token: a 401 KernelError whose problem body is the same for every
 * reason, carrying the precise `reason` (and the cause) for the audit log only.
 */
export class AuthenticationFailure extends KernelError {
  readonly reason: AuthenticationFailureReason;
  readonly unverified: UnverifiedTokenFacts;

  constructor(reason: AuthenticationFailureReason, unverified: UnverifiedTokenFacts = {}, cause?: unknown) {
    super('unauthorized', 'Unauthorized', {
      detail: unauthorizedDetail,
      headers: { 'www-authenticate': bearerChallenge(reason) },
      ...(cause === undefined ? {} : { cause }),
    });
    this.reason = reason;
    const alg = clip(unverified.alg);
    const kid = clip(unverified.kid);
    const iss = clip(unverified.iss);
    this.unverified = {
      ...(alg === undefined ? {} : { alg }),
      ...(kid === undefined ? {} : { kid }),
      ...(iss === undefined ? {} : { iss }),
    };
  }
}

export function isAuthenticationFailure(value: unknown): value is AuthenticationFailure {
  return value instanceof AuthenticationFailure;
}
