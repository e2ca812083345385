import { describe, expect, it } from 'vitest';
import { MemoryApiKeyStore } from '../../../../src/adapters/memory/api-key-store';
import { Authenticator } from '../../../../src/kernel/auth';
import { ApiKeyService, RateLimiter } from '../../../../src/kernel/auth/access';
import type { BearerTokenValidator, Principal } from '../../../../src/kernel/auth/tokens';
import { AuthenticationFailure } from '../../../../src/kernel/auth/tokens';
import { KernelError } from '../../../../src/kernel/errors';
import { clientPrincipalHeaderValue, userPayload } from '../../../support/client-principal';
import { expectRefused } from './tokens/token-fixtures';

const bearerPrincipal: Principal = {
  id: 'bearer-caller',
  name: 'bearer@contoso.example',
  kind: 'user',
  roles: ['reader'],
  scopes: [],
  app_id: null,
  issuer: 'https://login.microsoftonline.com/tenant/v2.0',
  expires_at: '2026-03-01T13:00:00.000Z',
};

/** Accepts the one token 'good-token'; records every token it was asked about. */
function fakeBearer(seen: string[]): BearerTokenValidator {
  const validate = async (token: string | null | undefined): Promise<Principal> => {
    seen.push(String(token));
    if (token !== 'good-token') throw new AuthenticationFailure('bad_signature');
    return bearerPrincipal;
  };
  return { validate, authenticate: async (authorization) => validate(authorization?.slice(7)) };
}

function authenticator(trustClientPrincipal: boolean, capacity = 100) {
  const seen: string[] = [];
  const subject = new Authenticator({
    bearer: fakeBearer(seen),
    apiKeys: new ApiKeyService({ store: new MemoryApiKeyStore() }),
    limiter: new RateLimiter({ capacity, refill_per_second: 0.001 }),
    trustClientPrincipal,
  });
  return { subject, seen };
}

const alice = clientPrincipalHeaderValue(userPayload());

describe('Authenticator with AOS_TRUST_CLIENT_PRINCIPAL on', () => {
  it('takes the caller from x-ms-client-principal', async () => {
    const { subject } = authenticator(true);
    const principal = await subject.authenticate(new Headers({ 'x-ms-client-principal': alice }));
    expect(principal).toMatchObject({
      id: '5f2b6c1e-0d3a-4e8b-9c7d-1a2b3c4d5e6f',
      name: 'alice@contoso.example',
      roles: ['operator', 'approver'],
    });
  });

  it('lets the header decide even when a bearer token is sent too', async () => {
    const { subject, seen } = authenticator(true);
    const principal = await subject.authenticate(
      new Headers({ 'x-ms-client-principal': alice, authorization: 'Bearer good-token' }),
    );
    expect(principal?.id).toBe('5f2b6c1e-0d3a-4e8b-9c7d-1a2b3c4d5e6f');
    expect(seen).toEqual([]);
  });

  it('falls back to the bearer token or API key when the header is absent', async () => {
    const { subject } = authenticator(true);
    expect(await subject.authenticate(new Headers({ authorization: 'Bearer good-token' }))).toEqual(
      bearerPrincipal,
    );
    expect(await subject.authenticate(new Headers())).toBeUndefined();
  });

  it('refuses a malformed header with the uniform 401, without trying other credentials', async () => {
    const { subject, seen } = authenticator(true);
    await expectRefused(
      subject.authenticate(
        new Headers({ 'x-ms-client-principal': 'not base64!', authorization: 'Bearer good-token' }),
      ),
      'malformed',
    );
    expect(seen).toEqual([]);
  });

  it("rate limits the header's principal", async () => {
    const { subject } = authenticator(true, 1);
    const headers = new Headers({ 'x-ms-client-principal': alice });
    await subject.authenticate(headers);
    const error = await subject.authenticate(headers).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KernelError);
    expect((error as KernelError).status).toBe(429);
  });
});

describe('Authenticator with AOS_TRUST_CLIENT_PRINCIPAL off', () => {
  it('ignores a forged header: no other credential means no principal', async () => {
    const { subject } = authenticator(false);
    expect(await subject.authenticate(new Headers({ 'x-ms-client-principal': alice }))).toBeUndefined();
  });

  it('ignores even a malformed header', async () => {
    const { subject } = authenticator(false);
    expect(await subject.authenticate(new Headers({ 'x-ms-client-principal': '%%%' }))).toBeUndefined();
  });

  it('authenticates the bearer token, not the header, when both are sent', async () => {
    const { subject, seen } = authenticator(false);
    const principal = await subject.authenticate(
      new Headers({ 'x-ms-client-principal': alice, authorization: 'Bearer good-token' }),
    );
    expect(principal).toEqual(bearerPrincipal);
    expect(seen).toEqual(['good-token']);
  });
});

describe('Authenticator: cross-site request forgery guard for the client principal', () => {
  it('refuses a POST vouched for by the header unless it says application/json', async () => {
    const { subject } = authenticator(true);
    for (const type of [
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const headers = new Headers({
        'x-ms-client-principal': alice,
        ...(type ? { 'content-type': type } : {}),
      });
      const error = await subject.authenticate(headers, 'POST').catch((caught: unknown) => caught);
      expect(error, String(type)).toBeInstanceOf(KernelError);
      expect((error as KernelError).status).toBe(415);
    }
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'application/merge-patch+json',
    ]) {
      const headers = new Headers({ 'x-ms-client-principal': alice, 'content-type': type });
      await expect(subject.authenticate(headers, 'POST'), type).resolves.toMatchObject({
        name: 'alice@contoso.example',
      });
    }
  });

  it('leaves other methods and other credentials alone', async () => {
    const { subject } = authenticator(true);
    for (const method of ['GET', 'DELETE', 'PUT']) {
      await expect(
        subject.authenticate(new Headers({ 'x-ms-client-principal': alice }), method),
      ).resolves.toBeDefined();
    }
    // A bearer token is not sent by a browser on its own: no content-type rule.
    await expect(
      subject.authenticate(new Headers({ authorization: 'Bearer good-token' }), 'POST'),
    ).resolves.toBe(bearerPrincipal);
  });
});
