import { decodeJwt, decodeProtectedHeader } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LocalIssuer,
  LocalIssuerKeyFileError,
  LocalIssuerNotAllowedError,
  TokenValidator,
  assertLocalIssuerAllowed,
  combineTokenValidators,
  formatLocalIssuerKeyFile,
  generateLocalIssuerKey,
  localIssuerAudience,
  localIssuerId,
  localIssuerValidator,
  parseLocalIssuerKeyFile,
  parseTokenTtl,
} from '../../../../../src/kernel/auth/tokens';
import type { LocalIssuerKey } from '../../../../../src/kernel/auth/tokens';
import { isKernelError } from '../../../../../src/kernel/errors';
import {
  apiAudience,
  entraIssuer,
  expectRefused,
  jwksOf,
  makeKey,
  sign,
  t0,
  t0s,
  userClaims,
} from './token-fixtures';

let clock = t0;
let key: LocalIssuerKey;
let issuer: LocalIssuer;

beforeAll(async () => {
  key = await generateLocalIssuerKey(new Date(t0));
  issuer = await LocalIssuer.fromKey(key, { now: () => clock });
});

describe('local issuer tokens', () => {
  it('signs the documented claims with ES256 under the key thumbprint', async () => {
    clock = t0;
    const { token, kid, expires_at } = await issuer.issue({
      sub: 'alice',
      roles: ['Orchestrations.Write', 'Agents.Read'],
      app: 'contoso-sales',
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: issuer.kid, typ: 'JWT' });
    expect(kid).toBe(issuer.kid);
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const claims = decodeJwt(token);
    expect(claims).toEqual({
      iss: 'urn:aos-kernel:local-issuer',
      aud: 'api://aos-kernel-local',
      sub: 'alice',
      name: 'alice',
      roles: ['Orchestrations.Write', 'Agents.Read'],
      aos_app: 'contoso-sales',
      iat: t0s,
      exp: t0s + 3600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(expires_at).toBe('2026-01-01T01:00:00.000Z');
  });

  it('round-trips through the TokenValidator', async () => {
    clock = t0;
    const { token } = await issuer.issue({
      sub: 'alice',
      name: 'Alice Local',
      roles: ['Agents.Read'],
      app: 'contoso',
    });
    expect(await issuer.validator().validate(token)).toEqual({
      id: 'alice',
      name: 'Alice Local',
      kind: 'user',
      app_id: 'contoso',
      roles: ['Agents.Read'],
      scopes: [],
      issuer: localIssuerId,
      expires_at: '2026-01-01T01:00:00.000Z',
    });
  });

  it('issues app tokens and scopes when asked', async () => {
    const { token } = await issuer.issue({
      sub: 'billing-daemon',
      kind: 'app',
      scopes: ['a.read', 'b.write'],
    });
    expect(await issuer.validator().validate(token)).toMatchObject({
      kind: 'app',
      scopes: ['a.read', 'b.write'],
      app_id: null,
      roles: [],
    });
  });

  it('honours the ttl, then refuses the token once it (and the skew) has passed', async () => {
    clock = t0;
    const { token, expires_at } = await issuer.issue({ sub: 'alice', ttlSeconds: 1800 });
    expect(expires_at).toBe('2026-01-01T00:30:00.000Z');
    const validator = issuer.validator();
    clock = t0 + (1800 + 119) * 1000;
    await expect(validator.validate(token)).resolves.toBeDefined();
    clock = t0 + (1800 + 120) * 1000;
    await expectRefused(validator.validate(token), 'expired');
    clock = t0;
  });

  it('publishes only the public key', () => {
    const jwks = issuer.publicJwks();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: key.privateJwk.x,
      y: key.privateJwk.y,
      kid: issuer.kid,
      alg: 'ES256',
      use: 'sig',
    });
    expect(JSON.stringify(jwks)).not.toContain(key.privateJwk.d);
  });

  it('validates with only the public key set', async () => {
    const { token } = await issuer.issue({ sub: 'bob' });
    const validator = localIssuerValidator(issuer.publicJwks(), { now: () => t0 });
    await expect(validator.validate(token)).resolves.toMatchObject({ id: 'bob' });
  });

  it("refuses another local issuer's tokens", async () => {
    const other = await LocalIssuer.fromKey(await generateLocalIssuerKey(), { now: () => t0 });
    const { token } = await other.issue({ sub: 'mallory', roles: ['Kernel.Admin'] });
    await expectRefused(issuer.validator().validate(token), 'unknown_kid');
  });

  it('is refused by an Entra validator, and accepted beside it when combined', async () => {
    const rsa = await makeKey('RS256', 'rsa-1');
    const entra = new TokenValidator({
      issuers: [entraIssuer],
      audiences: [apiAudience],
      jwks: jwksOf(rsa),
      now: () => t0,
    });
    const { token } = await issuer.issue({ sub: 'alice' });
    await expectRefused(entra.validate(token), 'wrong_issuer');
    const both = combineTokenValidators([entra, issuer.validator()]);
    await expect(both.validate(token)).resolves.toMatchObject({ issuer: localIssuerId });
    await expect(both.validate(await sign(rsa, userClaims()))).resolves.toMatchObject({
      issuer: entraIssuer,
    });
  });

  it('does not accept Entra-audience tokens signed with the local key', async () => {
    // Same key, wrong audience: the local audience is fixed.
    const { token } = await issuer.issue({ sub: 'alice' });
    const validator = new TokenValidator({
      issuers: [localIssuerId],
      audiences: [apiAudience],
      jwks: issuer.publicJwks(),
      now: () => t0,
    });
    await expectRefused(validator.validate(token), 'wrong_audience');
    expect(localIssuerAudience).toBe('api://aos-kernel-local');
  });

  it.each([
    [{ sub: '' }, 'sub'],
    [{ sub: 'has space' }, 'sub'],
    [{ sub: 'alice', roles: ['bad role'] }, 'roles.0'],
    [{ sub: 'alice', app: 'not/an/app' }, 'app'],
    [{ sub: 'alice', ttlSeconds: 30 * 86_400 + 1 }, 'ttlSeconds'],
    [{ sub: 'alice', ttlSeconds: 0 }, 'ttlSeconds'],
  ])('refuses a bad request %j (field %s)', async (request, field) => {
    const error: unknown = await issuer.issue(request).catch((caught: unknown) => caught);
    expect(isKernelError(error) && error.code).toBe('validation_failed');
    expect(isKernelError(error) && error.errors?.map((e) => e.field)).toEqual([field]);
  });
});

describe('parseTokenTtl', () => {
  it.each([
    ['90s', 90],
    ['30m', 1800],
    ['1h', 3600],
    ['7d', 604_800],
    ['30d', 2_592_000],
    ['720h', 2_592_000],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseTokenTtl(text)).toBe(seconds);
  });

  it.each(['31d', '721h', '0h', '1w', '', 'h', '1.5h', '-1h', '10', '1 h', '1H', '99999999999d'])(
    'refuses %j',
    (text) => {
      let error: unknown;
      try {
        parseTokenTtl(text);
      } catch (caught) {
        error = caught;
      }
      expect(isKernelError(error) && error.code).toBe('validation_failed');
      expect(isKernelError(error) && error.detail).toMatch(/at most 30d/);
    },
  );
});

describe('assertLocalIssuerAllowed', () => {
  it('refuses the local issuer in Azure', () => {
    expect(() => assertLocalIssuerAllowed('azure')).toThrow(LocalIssuerNotAllowedError);
  });

  it.each(['local-runtime', 'core-tools', 'unknown'] as const)('allows it on %s', (kind) => {
    expect(() => assertLocalIssuerAllowed(kind)).not.toThrow();
  });
});

describe('the key file format', () => {
  it('round-trips', () => {
    const text = formatLocalIssuerKeyFile(key);
    expect(JSON.parse(text)).toMatchObject({ format: 'aos-local-issuer/1', alg: 'ES256' });
    expect(parseLocalIssuerKeyFile(text)).toEqual(key);
  });

  it.each([
    ['not JSON', 'nope'],
    ['another format', JSON.stringify({ format: 'x', alg: 'ES256', created_at: '', private_jwk: {} })],
    [
      'a public key only',
      JSON.stringify({
        format: 'aos-local-issuer/1',
        alg: 'ES256',
        created_at: '',
        private_jwk: { kty: 'EC', crv: 'P-256', x: 'a', y: 'b' },
      }),
    ],
  ])('refuses %s', (_name, text) => {
    expect(() => parseLocalIssuerKeyFile(text)).toThrow(LocalIssuerKeyFileError);
  });

  it('refuses a private key that does not match its public half', async () => {
    const other = await generateLocalIssuerKey();
    const mismatched: LocalIssuerKey = { ...key, privateJwk: { ...key.privateJwk, d: other.privateJwk.d } };
    await expect(LocalIssuer.fromKey(mismatched)).rejects.toThrow(LocalIssuerKeyFileError);
  });
});
