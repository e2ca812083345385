import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TokenValidatorOptions } from '../../../../../src/kernel/auth/tokens';
import {
  KeysUnavailableError,
  RemoteJwksKeySource,
  TokenValidator,
} from '../../../../../src/kernel/auth/tokens';
import type { TestKey } from './token-fixtures';
import { apiAudience, expectRefused, jwksOf, makeKey, sign, t0, t0s, userClaims } from './token-fixtures';

/**
 * The key set behind a real (loopback) HTTP identity provider: a discovery document
 * and a JWKS, with request counters, a switch to change the published keys and a
 * switch to take it down.
 */
interface FakeIdp {
  published: TestKey[];
  /** 'up', 'refuse' (the connection is dropped), or an HTTP status to answer with. */
  mode: 'up' | 'refuse' | number;
  discoveryIssuer: string | undefined;
  discoveryHits: number;
  jwksHits: number;
}

const idp: FakeIdp = { published: [], mode: 'up', discoveryIssuer: undefined, discoveryHits: 0, jwksHits: 0 };
let server: http.Server;
let base: string;
let issuer: string;
let k1: TestKey;
let k2: TestKey;
let clock: number;

beforeAll(async () => {
  k1 = await makeKey('RS256', 'key-2025');
  k2 = await makeKey('RS256', 'key-2026');
  server = http.createServer((req, res) => {
    if (idp.mode === 'refuse') {
      req.socket.destroy();
      return;
    }
    if (typeof idp.mode === 'number') {
      res.writeHead(idp.mode).end();
      return;
    }
    if (req.url === '/tenant/v2.0/.well-known/openid-configuration') {
      idp.discoveryHits += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer: idp.discoveryIssuer ?? issuer,
          jwks_uri: `${base}/tenant/discovery/v2.0/keys`,
        }),
      );
      return;
    }
    if (req.url === '/tenant/discovery/v2.0/keys') {
      idp.jwksHits += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(jwksOf(...idp.published)));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = `${base}/tenant/v2.0`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  Object.assign(idp, {
    published: [k1],
    mode: 'up',
    discoveryIssuer: undefined,
    discoveryHits: 0,
    jwksHits: 0,
  });
  clock = t0;
});

/** Tokens stay valid however far a test moves the clock. */
function claims() {
  return userClaims({ iss: issuer, exp: t0s + 30 * 86_400 });
}

function remoteValidator(options: Partial<TokenValidatorOptions> = {}): TokenValidator {
  return new TokenValidator({
    issuers: [issuer],
    audiences: [apiAudience],
    keyRefreshCooldownSeconds: 30,
    keyMaxAgeSeconds: 3600,
    keyFetchTimeoutMs: 2000,
    now: () => clock,
    ...options,
  });
}

describe('keys from the OpenID discovery document', () => {
  it('finds the JWKS through discovery and caches it', async () => {
    const validator = remoteValidator();
    const token = await sign(k1, claims());
    for (let i = 0; i < 5; i += 1) {
      clock += 60_000;
      await expect(validator.validate(token)).resolves.toMatchObject({ issuer });
    }
    expect(idp.discoveryHits).toBe(1);
    expect(idp.jwksHits).toBe(1);
  });

  it('shares one fetch between requests that arrive together', async () => {
    const validator = remoteValidator();
    const token = await sign(k1, claims());
    const results = await Promise.all(Array.from({ length: 10 }, () => validator.validate(token)));
    expect(results).toHaveLength(10);
    expect(idp.jwksHits).toBe(1);
  });

  it('fetches the key set again once it is older than the maximum age', async () => {
    const validator = remoteValidator();
    const token = await sign(k1, claims());
    await validator.validate(token);
    clock += 3_599_000;
    await validator.validate(token);
    expect(idp.jwksHits).toBe(1);
    clock += 1_000;
    await validator.validate(token);
    expect(idp.jwksHits).toBe(2);
    expect(idp.discoveryHits).toBe(1);
  });

  it('refuses a discovery document that names another issuer', async () => {
    idp.discoveryIssuer = 'https://evil.example/v2.0';
    const failure = await expectRefused(
      remoteValidator().validate(await sign(k1, claims())),
      'keys_unavailable',
    );
    expect(failure.cause).toBeInstanceOf(KeysUnavailableError);
    expect(idp.jwksHits).toBe(0);
  });

  it('uses a configured jwks_uri without discovery', async () => {
    const validator = remoteValidator({ jwksUri: `${base}/tenant/discovery/v2.0/keys` });
    await expect(validator.validate(await sign(k1, claims()))).resolves.toBeDefined();
    expect(idp.discoveryHits).toBe(0);
    expect(idp.jwksHits).toBe(1);
  });
});

describe('key rotation', () => {
  it('refreshes once for a new kid and validates it; removed keys stop working', async () => {
    const validator = remoteValidator();
    await validator.validate(await sign(k1, claims()));
    expect(idp.jwksHits).toBe(1);

    idp.published = [k2];
    clock += 31_000;
    await expect(validator.validate(await sign(k2, claims()))).resolves.toBeDefined();
    expect(idp.jwksHits).toBe(2);
    await expect(validator.validate(await sign(k2, claims()))).resolves.toBeDefined();
    expect(idp.jwksHits).toBe(2);

    // k1 was dropped by the IdP, so the refreshed set no longer trusts it.
    await expectRefused(validator.validate(await sign(k1, claims())), 'unknown_kid');
  });

  it('does not refresh for a new kid within the cool-down', async () => {
    const validator = remoteValidator();
    await validator.validate(await sign(k1, claims()));
    idp.published = [k1, k2];
    clock += 29_000;
    await expectRefused(validator.validate(await sign(k2, claims())), 'unknown_kid');
    expect(idp.jwksHits).toBe(1);
    clock += 1_000;
    await expect(validator.validate(await sign(k2, claims()))).resolves.toBeDefined();
    expect(idp.jwksHits).toBe(2);
  });

  it('lets a flood of unknown kids cause at most one fetch per cool-down', async () => {
    const validator = remoteValidator();
    await validator.validate(await sign(k1, claims()));
    clock += 31_000;
    const forged = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sign({ ...k1, kid: `made-up-${i}` }, claims())),
    );
    for (const token of forged) await expectRefused(validator.validate(token), 'unknown_kid');
    expect(idp.jwksHits).toBe(2);
    await Promise.all(forged.map((token) => expectRefused(validator.validate(token), 'unknown_kid')));
    expect(idp.jwksHits).toBe(2);
    clock += 30_000;
    await expectRefused(validator.validate(forged[0]), 'unknown_kid');
    expect(idp.jwksHits).toBe(3);
  });

  it('does not fetch at all for tokens from another issuer', async () => {
    const validator = remoteValidator();
    await expectRefused(
      validator.validate(await sign(k1, userClaims({ iss: 'https://elsewhere.example/' }))),
      'wrong_issuer',
    );
    expect(idp.discoveryHits + idp.jwksHits).toBe(0);
  });
});

describe('an identity provider that is down', () => {
  it.each([['refuse' as const], [503]])(
    'answers 401 for unknown keys while cached keys keep working (%s)',
    async (mode) => {
      const validator = remoteValidator();
      const known = await sign(k1, claims());
      await validator.validate(known);
      idp.mode = mode;
      clock += 31_000;

      await expect(validator.validate(known)).resolves.toBeDefined();
      const failure = await expectRefused(validator.validate(await sign(k2, claims())), 'unknown_kid');
      expect(failure.status).toBe(401);

      // Past the maximum age the stale set is kept rather than dropped.
      clock += 3_600_000;
      await expect(validator.validate(known)).resolves.toBeDefined();
      expect(idp.jwksHits).toBe(1);
    },
  );

  it('answers 401 keys_unavailable when no key was ever loaded, and recovers after the cool-down', async () => {
    idp.mode = 503;
    const validator = remoteValidator();
    const token = await sign(k1, claims());
    await expectRefused(validator.validate(token), 'keys_unavailable');
    idp.mode = 'up';
    await expectRefused(validator.validate(token), 'keys_unavailable');
    expect(idp.discoveryHits).toBe(0);
    clock += 30_000;
    await expect(validator.validate(token)).resolves.toBeDefined();
    expect(idp.discoveryHits).toBe(1);
  });

  it('gives up on a slow IdP after the timeout', async () => {
    const slow = http.createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const validator = remoteValidator({
        jwksUri: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/keys`,
        keyFetchTimeoutMs: 200,
      });
      const started = Date.now();
      await expectRefused(validator.validate(await sign(k1, claims())), 'keys_unavailable');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });
});

describe('RemoteJwksKeySource', () => {
  it('refuses a key set larger than the response limit', async () => {
    const source = new RemoteJwksKeySource({
      jwksUri: `${base}/tenant/discovery/v2.0/keys`,
      maxResponseBytes: 64,
      now: () => clock,
    });
    await expect(source.getKey(k1.kid, 'RS256')).rejects.toBeInstanceOf(KeysUnavailableError);
    expect(String(source.lastFailure)).toMatch(/larger than 64 bytes/);
  });

  it('needs exactly one of jwksUri and discoveryUrl', () => {
    expect(() => new RemoteJwksKeySource({})).toThrow(/exactly one/);
    expect(() => new RemoteJwksKeySource({ jwksUri: `${base}/a`, discoveryUrl: `${base}/b` })).toThrow(
      /exactly one/,
    );
  });
});
