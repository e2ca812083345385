import { randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';
import type { JWK, KeyLike } from 'jose';
import { z } from 'zod';
import { KernelError, fieldErrorsFromZod } from '../../errors';
import type { HostKind } from '../../environment';
import type { JsonWebKeySetLike } from './key-source';
import type { AppBindingOptions } from './principal';
import { appIdPattern, defaultAppClaim } from './principal';
import type { AuthenticationFailure } from './authentication-failure';
import { TokenValidator } from './token-validator';

/**
 * The local issuer: a development identity provider so the kernel can run with real
 * authentication on a laptop without Entra. It signs ES256 tokens with a key the
 * host keeps under `.aos/`, and its tokens are checked by the same TokenValidator as
 * Entra tokens, with the public key as a fixed key set. It must never be trusted in
 * Azure: start-up calls assertLocalIssuerAllowed.
 *
 * This file owns the key-file format and the signing; reading and writing the file
 * is the host's job (src/host/auth/local-issuer-store.ts).
 */

export const localIssuerId = 'urn:aos-kernel:local-issuer';
export const localIssuerAudience = 'api://aos-kernel-local';
export const localIssuerKeyFormat = 'aos-local-issuer/1';
export const defaultLocalTokenTtlSeconds = 3600;
export const maxLocalTokenTtlSeconds = 30 * 24 * 3600;

export class LocalIssuerNotAllowedError extends Error {
  override readonly name = 'LocalIssuerNotAllowedError';
}

/** Refuses the local issuer where it would be a backdoor: a deployment in Azure. */
export function assertLocalIssuerAllowed(hostKind: HostKind): void {
  if (hostKind === 'azure') {
    throw new LocalIssuerNotAllowedError(
      'The local token issuer is for local development only and is refused when running in Azure; ' +
        'configure Microsoft Entra ID instead.',
    );
  }
}

const coordinate = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url P-256 coordinate');

const privateJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: coordinate,
  y: coordinate,
  d: coordinate,
});

const keyFileSchema = z.object({
  format: z.literal(localIssuerKeyFormat),
  alg: z.literal('ES256'),
  created_at: z.string(),
  private_jwk: privateJwkSchema,
});

/** The local issuer's private key (an EC P-256 JWK) and when it was made. */
export interface LocalIssuerKey {
  readonly privateJwk: z.infer<typeof privateJwkSchema>;
  readonly createdAt: string;
}

export class LocalIssuerKeyFileError extends Error {
  override readonly name = 'LocalIssuerKeyFileError';
}

export async function generateLocalIssuerKey(now: Date = new Date()): Promise<LocalIssuerKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const parsed = privateJwkSchema.parse(await exportJWK(privateKey));
  return { privateJwk: parsed, createdAt: now.toISOString() };
}

export function formatLocalIssuerKeyFile(key: LocalIssuerKey): string {
  const { kty, crv, x, y, d } = key.privateJwk;
  const file: z.infer<typeof keyFileSchema> = {
    format: localIssuerKeyFormat,
    alg: 'ES256',
    created_at: key.createdAt,
    private_jwk: { kty, crv, x, y, d },
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export function parseLocalIssuerKeyFile(text: string): LocalIssuerKey {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LocalIssuerKeyFileError('the local issuer key file is not JSON');
  }
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LocalIssuerKeyFileError(
      `the local issuer key file is not valid: ${issue === undefined ? 'unknown problem' : `${issue.path.join('.') || 'file'} ${issue.message}`}`,
    );
  }
  return { privateJwk: parsed.data.private_jwk, createdAt: parsed.data.created_at };
}

/**
 * `--ttl` values: a whole number and a unit, `s`, `m`, `h` or `d` (`90s`, `30m`, `1h`,
 * `7d`), at most 30 days. Returns seconds.
 */
export function parseTokenTtl(text: string): number {
  const match = /^([0-9]{1,9})([smhd])$/.exec(text.trim());
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
  const seconds = match === null ? Number.NaN : Number(match[1]) * unit[match[2] as keyof typeof unit];
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > maxLocalTokenTtlSeconds) {
    throw KernelError.validation([
      {
        field: 'ttl',
        in: 'argument',
        message: `must be a duration like 30m, 1h or 7d, at most 30d; got '${text}'`,
      },
    ]);
  }
  return seconds;
}

const subjectPattern = /^[A-Za-z0-9._:@-]{1,128}$/;
const namePattern = /^[A-Za-z0-9._:-]{1,128}$/;

const tokenRequestSchema = z.object({
  sub: z.string().regex(subjectPattern, 'must be 1-128 letters, digits or . _ : @ -'),
  name: z.string().min(1).max(256).optional(),
  roles: z
    .array(z.string().regex(namePattern, 'must be 1-128 letters, digits or . _ : -'))
    .max(100)
    .optional(),
  scopes: z
    .array(z.string().regex(namePattern, 'must be 1-128 letters, digits or . _ : -'))
    .max(100)
    .optional(),
  app: z.string().regex(appIdPattern, 'must be an app id (1-128 letters, digits or . _ : -)').optional(),
  kind: z.enum(['user', 'app']).optional(),
  ttlSeconds: z.number().int().min(1).max(maxLocalTokenTtlSeconds).optional(),
});

export interface LocalTokenRequest {
  /** The subject: becomes the principal's id. */
  readonly sub: string;
  /** Display name; defaults to `sub`. */
  readonly name?: string;
  readonly roles?: readonly string[];
  /** Delegated scopes (`scp`). */
  readonly scopes?: readonly string[];
  /** The kernel app the token binds its holder to (claim `aos_app`). */
  readonly app?: string;
  /** `app` marks an app-only token (claim `idtyp`); default user. */
  readonly kind?: 'user' | 'app';
  /** Lifetime; default one hour, at most 30 days. */
  readonly ttlSeconds?: number;
}

export interface IssuedLocalToken {
  readonly token: string;
  readonly kid: string;
  readonly expires_at: string;
}

export interface LocalValidatorOptions {
  readonly clockSkewSeconds?: number;
  readonly appBinding?: AppBindingOptions;
  readonly onFailure?: (failure: AuthenticationFailure) => void;
  readonly now?: () => number;
}

/** A validator for local-issuer tokens given only the issuer's public key set. */
export function localIssuerValidator(
  publicJwks: JsonWebKeySetLike,
  options: LocalValidatorOptions = {},
): TokenValidator {
  return new TokenValidator({
    ...options,
    issuers: [localIssuerId],
    audiences: [localIssuerAudience],
    algorithms: ['ES256'],
    jwks: publicJwks,
  });
}

export class LocalIssuer {
  readonly issuer = localIssuerId;
  readonly audience = localIssuerAudience;

  private constructor(
    private readonly signingKey: KeyLike,
    private readonly publicJwk: JWK,
    readonly kid: string,
    private readonly now: () => number,
  ) {}

  /**
   * Loads the key and proves it: a key file whose private and public halves do not
   * belong together would otherwise sign tokens nobody can verify.
   */
  static async fromKey(key: LocalIssuerKey, options: { now?: () => number } = {}): Promise<LocalIssuer> {
    const { kty, crv, x, y } = privateJwkSchema.parse(key.privateJwk);
    const publicJwk: JWK = { kty, crv, x, y };
    let signingKey: KeyLike;
    let verifyKey: KeyLike;
    try {
      signingKey = (await importJWK({ ...key.privateJwk }, 'ES256')) as KeyLike;
      verifyKey = (await importJWK({ ...publicJwk }, 'ES256')) as KeyLike;
      const probe = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).sign(signingKey);
      await jwtVerify(probe, verifyKey, { algorithms: ['ES256'] });
    } catch (error) {
      throw new LocalIssuerKeyFileError('the local issuer key is not a usable P-256 key pair', {
        cause: error,
      });
    }
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    return new LocalIssuer(signingKey, publicJwk, kid, options.now ?? Date.now);
  }

  /** The public key as a JWKS: what a validator of these tokens needs, and nothing secret. */
  publicJwks(): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk, kid: this.kid, alg: 'ES256', use: 'sig' }] };
  }

  async issue(request: LocalTokenRequest): Promise<IssuedLocalToken> {
    const parsed = tokenRequestSchema.safeParse(request);
    if (!parsed.success) throw KernelError.validation(fieldErrorsFromZod(parsed.error, 'argument'));
    const { sub, name, roles, scopes, app, kind, ttlSeconds } = parsed.data;
    const issuedAt = Math.floor(this.now() / 1000);
    const expiresAt = issuedAt + (ttlSeconds ?? defaultLocalTokenTtlSeconds);
    const claims: Record<string, unknown> = {
      name: name ?? sub,
      roles: roles ?? [],
      ...(scopes === undefined || scopes.length === 0 ? {} : { scp: scopes.join(' ') }),
      ...(app === undefined ? {} : { [defaultAppClaim]: app }),
      ...(kind === undefined ? {} : { idtyp: kind }),
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: this.kid, typ: 'JWT' })
      .setIssuer(localIssuerId)
      .setAudience(localIssuerAudience)
      .setSubject(sub)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(this.signingKey);
    return { token, kid: this.kid, expires_at: new Date(expiresAt * 1000).toISOString() };
  }

  /** A validator that accepts this issuer's tokens (and only them). */
  validator(options: LocalValidatorOptions = {}): TokenValidator {
    return localIssuerValidator(this.publicJwks(), { now: this.now, ...options });
  }
}
