import { errors, jwtVerify } from 'jose';
import type { KeyLike } from 'jose';
import type { AuthenticationFailureReason, UnverifiedTokenFacts } from './authentication-failure';
import { AuthenticationFailure, isAuthenticationFailure } from './authentication-failure';
import type { JsonWebKeySetLike, TokenAlgorithm, VerificationKeySource } from './key-source';
import { KeysUnavailableError, StaticKeySource, isTokenAlgorithm, tokenAlgorithms } from './key-source';
import type { AppBindingOptions, Principal } from './principal';
import { AppBinding, principalFromClaims } from './principal';
import { RemoteJwksKeySource, discoveryUrlFor } from './remote-jwks';

/**
 * Bearer token validation for Microsoft Entra ID v2 access tokens and for the local
 * issuer's tokens: a compact JWS, RS256 or ES256 only, signed by a key from the
 * configured key set, from an accepted issuer, for an accepted audience, within its
 * lifetime give or take a bounded clock skew. Every refusal is the same 401; the
 * precise reason travels on the AuthenticationFailure (and to `onFailure`) for the
 * audit log.
 */

export interface TokenValidatorOptions {
  /** Accepted `iss` values, e.g. `https://login.microsoftonline.com/<tenant>/v2.0`. */
  readonly issuers: readonly string[];
  /** Accepted `aud` values: the API's app ID URI and/or its client id. */
  readonly audiences: readonly string[];
  /**
   * Where keys come from: at most one of `keySource`, `jwks` (a fixed set), `jwksUri`
   * or `discoveryUrl`. With none, the OpenID discovery document of `issuers[0]`
   * (`<issuer>/.well-known/openid-configuration` → `jwks_uri`) is used, and its
   * `issuer` must match.
   */
  readonly keySource?: VerificationKeySource;
  readonly jwks?: JsonWebKeySetLike;
  readonly jwksUri?: string;
  readonly discoveryUrl?: string;
  /** Allowed clock difference for `exp` and `nbf`, in seconds. Default 120, at most 300. */
  readonly clockSkewSeconds?: number;
  /** Accepted `alg` values, a subset of RS256 and ES256. Default both. */
  readonly algorithms?: readonly TokenAlgorithm[];
  /** Remote key sets: least time between two fetches, in seconds (default 30). */
  readonly keyRefreshCooldownSeconds?: number;
  /** Remote key sets: age after which they are fetched again, in seconds (default 3600). */
  readonly keyMaxAgeSeconds?: number;
  /** Remote key sets: per-request timeout in ms (default 5000). */
  readonly keyFetchTimeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** How a token binds its caller to a kernel app (see principal.ts). */
  readonly appBinding?: AppBindingOptions;
  /** Called with every refusal before it is thrown, e.g. to write an audit record. */
  readonly onFailure?: (failure: AuthenticationFailure) => void;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
}

/** Anything that turns a bearer token into a principal or an AuthenticationFailure. */
export interface BearerTokenValidator {
  /** Validates a raw token (the part after `Bearer `). */
  validate(token: string | null | undefined): Promise<Principal>;
  /** Validates an `Authorization` header value. */
  authenticate(authorization: string | null | undefined): Promise<Principal>;
}

export const defaultClockSkewSeconds = 120;
export const maxClockSkewSeconds = 300;
/** Longer than any real access token; bounds the work a junk header can cause. */
export const maxTokenLength = 16 * 1024;

const base64url = /^[A-Za-z0-9_-]+$/;

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!base64url.test(segment) || segment.length % 4 === 1) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function nonEmptyList(name: string, values: readonly string[] | undefined): readonly string[] {
  if (
    values === undefined ||
    values.length === 0 ||
    values.some((value) => typeof value !== 'string' || value === '')
  ) {
    throw new TypeError(`TokenValidator: ${name} must be a non-empty list of non-empty strings`);
  }
  return [...values];
}

function reasonForJoseError(error: unknown): AuthenticationFailureReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return 'missing_claim';
    if (error.reason !== 'check_failed') return 'invalid_claim';
    switch (error.claim) {
      case 'iss':
        return 'wrong_issuer';
      case 'aud':
        return 'wrong_audience';
      case 'nbf':
        return 'not_yet_valid';
      default:
        return 'invalid_claim';
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'malformed';
  return 'error';
}

/**
 * The token out of an `Authorization` header, or undefined when there is no bearer
 * credential (no header, another scheme, nothing after the scheme).
 */
export function bearerTokenFrom(authorization: string | null | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

export class TokenValidator implements BearerTokenValidator {
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  readonly algorithms: readonly TokenAlgorithm[];
  readonly clockSkewSeconds: number;
  private readonly keys: VerificationKeySource;
  private readonly binding: AppBinding;
  private readonly onFailure: ((failure: AuthenticationFailure) => void) | undefined;
  private readonly now: () => number;

  constructor(options: TokenValidatorOptions) {
    this.issuers = nonEmptyList('issuers', options.issuers);
    this.audiences = nonEmptyList('audiences', options.audiences);

    const skew = options.clockSkewSeconds ?? defaultClockSkewSeconds;
    if (!Number.isFinite(skew) || skew < 0 || skew > maxClockSkewSeconds) {
      throw new RangeError(`TokenValidator: clockSkewSeconds must be 0-${maxClockSkewSeconds}, got ${skew}`);
    }
    this.clockSkewSeconds = skew;

    const algorithms = options.algorithms ?? tokenAlgorithms;
    if (algorithms.length === 0 || !algorithms.every((alg) => isTokenAlgorithm(alg))) {
      throw new TypeError(
        `TokenValidator: algorithms must be a non-empty subset of ${tokenAlgorithms.join(', ')}`,
      );
    }
    this.algorithms = [...new Set(algorithms)];

    this.now = options.now ?? Date.now;
    this.binding = new AppBinding(options.appBinding);
    this.onFailure = options.onFailure;
    this.keys = this.keySourceFrom(options);
  }

  private keySourceFrom(options: TokenValidatorOptions): VerificationKeySource {
    const given = [options.keySource, options.jwks, options.jwksUri, options.discoveryUrl].filter(
      (value) => value !== undefined,
    );
    if (given.length > 1) {
      throw new TypeError('TokenValidator: give at most one of keySource, jwks, jwksUri and discoveryUrl');
    }
    if (options.keySource !== undefined) return options.keySource;
    if (options.jwks !== undefined) return new StaticKeySource(options.jwks);
    const issuer = this.issuers[0] as string;
    return new RemoteJwksKeySource({
      ...(options.jwksUri !== undefined
        ? { jwksUri: options.jwksUri }
        : options.discoveryUrl !== undefined
          ? { discoveryUrl: options.discoveryUrl }
          : { discoveryUrl: discoveryUrlFor(issuer), expectedIssuer: issuer }),
      ...(options.keyRefreshCooldownSeconds === undefined
        ? {}
        : { refreshCooldownSeconds: options.keyRefreshCooldownSeconds }),
      ...(options.keyMaxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.keyMaxAgeSeconds }),
      ...(options.keyFetchTimeoutMs === undefined ? {} : { timeoutMs: options.keyFetchTimeoutMs }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      now: this.now,
    });
  }

  /** True when `iss` is one of this validator's issuers. */
  acceptsIssuer(iss: unknown): boolean {
    return typeof iss === 'string' && this.issuers.includes(iss);
  }

  async authenticate(authorization: string | null | undefined): Promise<Principal> {
    const token = bearerTokenFrom(authorization);
    if (token === undefined) throw this.refuse(new AuthenticationFailure('missing'));
    return this.validate(token);
  }

  async validate(token: string | null | undefined): Promise<Principal> {
    try {
      return await this.check(token);
    } catch (error) {
      throw this.refuse(
        isAuthenticationFailure(error) ? error : new AuthenticationFailure('error', {}, error),
      );
    }
  }

  private refuse(failure: AuthenticationFailure): AuthenticationFailure {
    try {
      this.onFailure?.(failure);
    } catch {
      // An audit hook that throws must not turn a 401 into a 500.
    }
    return failure;
  }

  private async check(token: string | null | undefined): Promise<Principal> {
    if (typeof token !== 'string' || token.trim() === '') throw new AuthenticationFailure('missing');
    if (token.length > maxTokenLength) throw new AuthenticationFailure('malformed');
    const parts = token.split('.');
    if (parts.length !== 3) throw new AuthenticationFailure('malformed');
    const [encodedHeader, encodedPayload, signature] = parts as [string, string, string];

    const header = decodeSegment(encodedHeader);
    if (header === undefined) throw new AuthenticationFailure('malformed');
    const facts: { alg?: string; kid?: string; iss?: string } = {};
    const { alg, kid } = header;
    if (typeof alg !== 'string') throw new AuthenticationFailure('malformed');
    facts.alg = alg;
    if (typeof kid === 'string') facts.kid = kid;
    // Before anything else touches the token: `none`, HS256 and the rest stop here.
    if (!isTokenAlgorithm(alg) || !this.algorithms.includes(alg)) {
      throw new AuthenticationFailure('alg_not_allowed', facts);
    }

    const claims = decodeSegment(encodedPayload);
    if (claims === undefined) throw new AuthenticationFailure('malformed', facts);
    if (typeof claims['iss'] === 'string') facts.iss = claims['iss'];
    if (!base64url.test(signature) || typeof kid !== 'string' || kid === '') {
      throw new AuthenticationFailure('malformed', facts);
    }
    // Checked again after the signature; checking first keeps tokens that were never
    // meant for this kernel from reaching the key source (and the IdP).
    if (claims['iss'] === undefined) throw new AuthenticationFailure('missing_claim', facts);
    if (!this.acceptsIssuer(claims['iss'])) throw new AuthenticationFailure('wrong_issuer', facts);

    const key = await this.keyFor(kid, alg, facts);
    let verified: Record<string, unknown>;
    try {
      ({ payload: verified } = await jwtVerify(token, key, {
        algorithms: [alg],
        issuer: [...this.issuers],
        audience: [...this.audiences],
        clockTolerance: this.clockSkewSeconds,
        currentDate: new Date(this.now()),
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw new AuthenticationFailure(reasonForJoseError(error), facts, error);
    }

    const result = principalFromClaims(verified, this.binding);
    if (!result.ok)
      throw new AuthenticationFailure(result.reason, facts, new Error(`claim '${result.claim}'`));
    return result.principal;
  }

  private async keyFor(kid: string, alg: TokenAlgorithm, facts: UnverifiedTokenFacts): Promise<KeyLike> {
    let key: KeyLike | undefined;
    try {
      key = await this.keys.getKey(kid, alg);
    } catch (error) {
      throw new AuthenticationFailure(
        error instanceof KeysUnavailableError ? 'keys_unavailable' : 'error',
        facts,
        error,
      );
    }
    if (key === undefined) throw new AuthenticationFailure('unknown_kid', facts);
    return key;
  }
}

/**
 * Several validators behind one: a token goes to the validator whose issuers include
 * its (unverified) `iss`, which then checks everything, the issuer included. A token
 * no validator claims goes to the first, which refuses it with the precise reason.
 * Used to accept Entra tokens and local-issuer tokens side by side.
 */
export function combineTokenValidators(validators: readonly TokenValidator[]): BearerTokenValidator {
  const first = validators[0];
  if (first === undefined) throw new TypeError('combineTokenValidators needs at least one validator');
  const pick = (token: string | null | undefined): TokenValidator => {
    const payload =
      typeof token === 'string' && token.length <= maxTokenLength ? token.split('.')[1] : undefined;
    const iss = payload === undefined ? undefined : decodeSegment(payload)?.['iss'];
    return validators.find((validator) => validator.acceptsIssuer(iss)) ?? first;
  };
  return {
    validate: (token) => pick(token).validate(token),
    authenticate: (authorization) => {
      const token = bearerTokenFrom(authorization);
      return token === undefined ? first.authenticate(authorization) : pick(token).validate(token);
    },
  };
}
