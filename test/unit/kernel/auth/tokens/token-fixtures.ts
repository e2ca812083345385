import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { JWK, JWTPayload, KeyLike } from 'jose';
import { expect } from 'vitest';
import type { AuthenticationFailureReason } from '../../../../../src/kernel/auth/tokens';
import { AuthenticationFailure, unauthorizedDetail } from '../../../../../src/kernel/auth/tokens';
import { toProblem } from '../../../../../src/kernel/errors';

/** Keys, claims and token builders shared by the token tests. */

export const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const entraIssuer = `https://login.microsoftonline.com/${tenantId}/v2.0`;
export const apiAudience = 'api://aos-kernel';
export const apiClientId = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
export const callerClientId = '0a1b2c3d-0000-4000-8000-000000000001';

/** 2026-01-01T00:00:00Z, in ms: every test runs on this fixed clock unless it moves it. */
export const t0 = Date.UTC(2026, 0, 1);
export const t0s = t0 / 1000;

export interface TestKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: KeyLike;
  readonly publicKey: KeyLike;
  readonly publicJwk: JWK;
}

export async function makeKey(alg: 'RS256' | 'ES256', kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

export function jwksOf(...keys: TestKey[]): { keys: JWK[] } {
  return { keys: keys.map((key) => key.publicJwk) };
}

/** A user's delegated Entra v2 access token, valid at t0 for an hour. */
export function userClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: entraIssuer,
    aud: apiAudience,
    iat: t0s - 60,
    nbf: t0s - 60,
    exp: t0s + 3600,
    oid: '00000000-0000-0000-0000-00000000a11c',
    sub: 'pairwise-subject-of-alice',
    tid: tenantId,
    azp: callerClientId,
    preferred_username: 'alice@contoso.example',
    name: 'Alice',
    scp: 'Orchestrations.Read Orchestrations.Write',
    roles: ['Orchestrations.Approver'],
    ver: '2.0',
    ...overrides,
  };
}

/** Removes claims from a claim set (for "missing claim" cases). */
export function without(claims: JWTPayload, ...names: string[]): JWTPayload {
  const copy: Record<string, unknown> = { ...claims };
  for (const name of names) delete copy[name];
  return copy;
}

export async function sign(
  key: TestKey,
  claims: JWTPayload = userClaims(),
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

export function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** A hand-made compact token: for the shapes no honest signer produces. */
export function craft(header: unknown, payload: unknown, signature = ''): string {
  return `${b64(header)}.${b64(payload)}.${signature}`;
}

/**
 * Asserts a refusal: an AuthenticationFailure with the expected reason, answered as
 * the one 401 problem whose body and headers say nothing about the reason.
 */
export async function expectRefused(
  attempt: Promise<unknown>,
  reason: AuthenticationFailureReason,
): Promise<AuthenticationFailure> {
  const error: unknown = await attempt.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected a refusal with reason '${reason}'`).toBeInstanceOf(AuthenticationFailure);
  const failure = error as AuthenticationFailure;
  expect(failure.reason).toBe(reason);
  expect(failure.status).toBe(401);
  const { problem, headers, internal } = toProblem(failure, '/api/orchestrations');
  expect(internal).toBe(false);
  expect(problem).toEqual({
    type: 'urn:aos-kernel:problem:unauthorized',
    title: 'Unauthorized',
    status: 401,
    code: 'unauthorized',
    detail: unauthorizedDetail,
    instance: '/api/orchestrations',
  });
  expect(headers).toEqual({
    'www-authenticate': reason === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"',
  });
  return failure;
}
