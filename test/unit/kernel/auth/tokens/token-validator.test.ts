import { createHmac } from 'node:crypto';
import { exportSPKI } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type {
  AuthenticationFailure,
  AuthenticationFailureReason,
} from '../../../../../src/kernel/auth/tokens';
import {
  TokenValidator,
  bearerTokenFrom,
  combineTokenValidators,
  maxTokenLength,
} from '../../../../../src/kernel/auth/tokens';
import type { TestKey } from './token-fixtures';
import {
  apiAudience,
  apiClientId,
  b64,
  callerClientId,
  craft,
  entraIssuer,
  expectRefused,
  jwksOf,
  makeKey,
  sign,
  t0,
  t0s,
  tenantId,
  userClaims,
  without,
} from './token-fixtures';

let rsa: TestKey;
let ec: TestKey;
let stranger: TestKey;
let impostor: TestKey;
let failures: AuthenticationFailure[];
let validator: TokenValidator;

beforeAll(async () => {
  rsa = await makeKey('RS256', 'rsa-1');
  ec = await makeKey('ES256', 'ec-1');
  stranger = await makeKey('RS256', 'stranger-1');
  // Not in the key set, but claims the kid of a trusted key.
  impostor = await makeKey('RS256', 'rsa-1');
  failures = [];
  validator = new TokenValidator({
    issuers: [entraIssuer],
    audiences: [apiAudience, apiClientId],
    jwks: jwksOf(rsa, ec),
    now: () => t0,
    onFailure: (failure) => failures.push(failure),
  });
});

async function hs256WithPublicKey(): Promise<string> {
  // The classic key-confusion forgery: HMAC keyed with the RSA public key's bytes.
  const secret = await exportSPKI(rsa.publicKey);
  const signingInput = `${b64({ alg: 'HS256', kid: rsa.kid, typ: 'JWT' })}.${b64(userClaims())}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

async function tamperedPayload(): Promise<string> {
  const [header, , signature] = (await sign(rsa)).split('.');
  return `${header}.${b64(userClaims({ roles: ['Kernel.Admin'] }))}.${signature}`;
}

const badTokens: {
  name: string;
  reason: AuthenticationFailureReason;
  token: () => Promise<string | undefined>;
}[] = [
  { name: 'no token', reason: 'missing', token: async () => undefined },
  { name: 'an empty token', reason: 'missing', token: async () => '' },
  { name: 'a blank token', reason: 'missing', token: async () => '   ' },
  { name: 'one part', reason: 'malformed', token: async () => 'abc' },
  { name: 'two parts', reason: 'malformed', token: async () => 'abc.def' },
  { name: 'four parts', reason: 'malformed', token: async () => `${await sign(rsa)}.xyz` },
  { name: 'five parts (a JWE)', reason: 'malformed', token: async () => 'a.b.c.d.e' },
  {
    name: 'a header that is not base64url',
    reason: 'malformed',
    token: async () => `!!!.${b64(userClaims())}.c2ln`,
  },
  {
    name: 'a header that is not JSON',
    reason: 'malformed',
    token: async () => `${b64('not json')}.${b64(userClaims())}.c2ln`,
  },
  {
    name: 'a header that is a JSON array',
    reason: 'malformed',
    token: async () => craft(['RS256'], userClaims(), 'c2ln'),
  },
  {
    name: 'a header without alg',
    reason: 'malformed',
    token: async () => craft({ kid: 'rsa-1' }, userClaims(), 'c2ln'),
  },
  {
    name: 'a payload that is not JSON',
    reason: 'malformed',
    token: async () => `${b64({ alg: 'RS256', kid: 'rsa-1' })}.${b64('{"iss":')}.c2ln`,
  },
  {
    name: 'a payload that is not base64url',
    reason: 'malformed',
    token: async () => `${b64({ alg: 'RS256', kid: 'rsa-1' })}.e30*.c2ln`,
  },
  {
    name: 'an empty signature',
    reason: 'malformed',
    token: async () => `${(await sign(rsa)).split('.').slice(0, 2).join('.')}.`,
  },
  { name: 'no kid', reason: 'malformed', token: async () => craft({ alg: 'RS256' }, userClaims(), 'c2ln') },
  {
    name: 'a token longer than any real one',
    reason: 'malformed',
    token: async () => 'a'.repeat(maxTokenLength + 1),
  },
  {
    name: 'alg none',
    reason: 'alg_not_allowed',
    token: async () => craft({ alg: 'none', kid: 'rsa-1' }, userClaims()),
  },
  {
    name: 'alg None',
    reason: 'alg_not_allowed',
    token: async () => craft({ alg: 'None' }, userClaims(), 'c2ln'),
  },
  { name: 'HS256 keyed with the RSA public key', reason: 'alg_not_allowed', token: hs256WithPublicKey },
  {
    name: 'PS256 (not on the allow-list)',
    reason: 'alg_not_allowed',
    token: async () => craft({ alg: 'PS256', kid: 'rsa-1' }, userClaims(), 'c2ln'),
  },
  {
    name: 'ES384 (not on the allow-list)',
    reason: 'alg_not_allowed',
    token: async () => craft({ alg: 'ES384', kid: 'ec-1' }, userClaims(), 'c2ln'),
  },
  {
    name: 'a wrong issuer',
    reason: 'wrong_issuer',
    token: () => sign(rsa, userClaims({ iss: 'https://login.microsoftonline.com/other-tenant/v2.0' })),
  },
  { name: 'no issuer', reason: 'missing_claim', token: () => sign(rsa, without(userClaims(), 'iss')) },
  {
    name: 'a wrong audience',
    reason: 'wrong_audience',
    token: () => sign(rsa, userClaims({ aud: 'api://someone-else' })),
  },
  { name: 'no audience', reason: 'missing_claim', token: () => sign(rsa, without(userClaims(), 'aud')) },
  {
    name: 'an expired token (past the skew)',
    reason: 'expired',
    token: () => sign(rsa, userClaims({ exp: t0s - 121 })),
  },
  {
    name: 'a token not yet valid (past the skew)',
    reason: 'not_yet_valid',
    token: () => sign(rsa, userClaims({ nbf: t0s + 121 })),
  },
  { name: 'no exp', reason: 'missing_claim', token: () => sign(rsa, without(userClaims(), 'exp')) },
  {
    name: 'an exp that is not a number',
    reason: 'invalid_claim',
    token: () => sign(rsa, userClaims({ exp: 'tomorrow' as unknown as number })),
  },
  { name: 'an unknown kid', reason: 'unknown_kid', token: () => sign(stranger) },
  {
    name: 'a kid whose key is of another type (RS256 header, EC key)',
    reason: 'unknown_kid',
    token: () => sign(rsa, userClaims(), { kid: 'ec-1' }),
  },
  { name: 'a tampered payload', reason: 'bad_signature', token: tamperedPayload },
  {
    name: 'a signature from an untrusted key claiming a trusted kid',
    reason: 'bad_signature',
    token: () => sign(impostor),
  },
  {
    name: 'a signature cut short',
    reason: 'bad_signature',
    token: async () => {
      const token = await sign(ec);
      return token.slice(0, token.length - 8);
    },
  },
  {
    name: 'roles that are not a list of strings',
    reason: 'invalid_claim',
    token: () => sign(rsa, userClaims({ roles: 'Admin' })),
  },
  {
    name: 'scp that is not a string',
    reason: 'invalid_claim',
    token: () => sign(rsa, userClaims({ scp: ['a'] })),
  },
  {
    name: 'an aos_app that is not an app id',
    reason: 'invalid_claim',
    token: () => sign(rsa, userClaims({ aos_app: 'no spaces allowed' })),
  },
  {
    name: 'neither oid nor sub',
    reason: 'missing_claim',
    token: () => sign(rsa, without(userClaims(), 'oid', 'sub')),
  },
];

describe('TokenValidator refusals', () => {
  it.each(badTokens)(
    'refuses $name with a 401 that does not say why (reason $reason)',
    async ({ token, reason }) => {
      const before = failures.length;
      const failure = await expectRefused(validator.validate(await token()), reason);
      // The audit hook saw the same failure, with the reason.
      expect(failures.slice(before)).toEqual([failure]);
    },
  );

  it('records what the header claimed, for the audit log', async () => {
    const failure = await expectRefused(validator.validate(await sign(stranger)), 'unknown_kid');
    expect(failure.unverified).toEqual({ alg: 'RS256', kid: 'stranger-1', iss: entraIssuer });
  });

  it('clips attacker-controlled header values it records', async () => {
    const failure = await expectRefused(
      validator.validate(craft({ alg: 'x'.repeat(5000), kid: 'k' }, userClaims(), 'c2ln')),
      'alg_not_allowed',
    );
    expect(failure.unverified.alg).toHaveLength(200);
  });

  it('still answers 401 when the audit hook throws', async () => {
    const noisy = new TokenValidator({
      issuers: [entraIssuer],
      audiences: [apiAudience],
      jwks: jwksOf(rsa),
      now: () => t0,
      onFailure: () => {
        throw new Error('audit sink down');
      },
    });
    await expectRefused(noisy.validate(await sign(stranger)), 'unknown_kid');
  });

  it('turns an unexpected key-source error into a 401 with reason error', async () => {
    const broken = new TokenValidator({
      issuers: [entraIssuer],
      audiences: [apiAudience],
      keySource: { getKey: () => Promise.reject(new Error('boom')) },
      now: () => t0,
    });
    const failure = await expectRefused(broken.validate(await sign(rsa)), 'error');
    expect((failure.cause as Error).message).toBe('boom');
  });

  it('refuses tokens an ES256-only validator would otherwise accept as RS256', async () => {
    const esOnly = new TokenValidator({
      issuers: [entraIssuer],
      audiences: [apiAudience],
      jwks: jwksOf(rsa, ec),
      algorithms: ['ES256'],
      now: () => t0,
    });
    await expectRefused(esOnly.validate(await sign(rsa)), 'alg_not_allowed');
    await expect(esOnly.validate(await sign(ec))).resolves.toMatchObject({ id: userClaims().oid });
  });
});

describe('TokenValidator acceptance', () => {
  it('accepts an RS256 Entra v2 user token and maps its claims', async () => {
    const principal = await validator.validate(await sign(rsa));
    expect(principal).toEqual({
      id: '00000000-0000-0000-0000-00000000a11c',
      name: 'alice@contoso.example',
      kind: 'user',
      tenant_id: tenantId,
      client_id: callerClientId,
      app_id: null,
      roles: ['Orchestrations.Approver'],
      scopes: ['Orchestrations.Read', 'Orchestrations.Write'],
      issuer: entraIssuer,
      expires_at: '2026-01-01T01:00:00.000Z',
    });
  });

  it('accepts an ES256 token', async () => {
    const principal = await validator.validate(await sign(ec, userClaims({ roles: ['Agents.Admin'] })));
    expect(principal.roles).toEqual(['Agents.Admin']);
  });

  it('accepts any configured audience, including one inside an aud list', async () => {
    await expect(
      validator.validate(await sign(rsa, userClaims({ aud: apiClientId }))),
    ).resolves.toBeDefined();
    await expect(
      validator.validate(await sign(rsa, userClaims({ aud: ['api://other', apiAudience] }))),
    ).resolves.toBeDefined();
  });

  it('tolerates clock skew up to the configured bound and no further', async () => {
    await expect(validator.validate(await sign(rsa, userClaims({ exp: t0s - 119 })))).resolves.toBeDefined();
    await expect(validator.validate(await sign(rsa, userClaims({ nbf: t0s + 119 })))).resolves.toBeDefined();
    const strict = new TokenValidator({
      issuers: [entraIssuer],
      audiences: [apiAudience],
      jwks: jwksOf(rsa),
      clockSkewSeconds: 0,
      now: () => t0,
    });
    await expectRefused(strict.validate(await sign(rsa, userClaims({ exp: t0s - 1 }))), 'expired');
    await expectRefused(strict.validate(await sign(rsa, userClaims({ nbf: t0s + 1 }))), 'not_yet_valid');
  });

  it('maps an app-only token (oid equals sub, no scp) to kind app', async () => {
    const appClaims = without(
      userClaims({ oid: 'sp-object-id', sub: 'sp-object-id', roles: ['Orchestrations.Write'] }),
      'scp',
      'preferred_username',
      'name',
    );
    const principal = await validator.validate(await sign(rsa, appClaims));
    expect(principal).toMatchObject({
      id: 'sp-object-id',
      kind: 'app',
      name: callerClientId,
      scopes: [],
      roles: ['Orchestrations.Write'],
    });
  });

  it('honours idtyp over the heuristics', async () => {
    const principal = await validator.validate(await sign(rsa, userClaims({ idtyp: 'app' })));
    expect(principal.kind).toBe('app');
  });

  it('falls back to sub when there is no oid, and to empty roles and scopes', async () => {
    const principal = await validator.validate(
      await sign(rsa, without(userClaims(), 'oid', 'roles', 'scp', 'preferred_username', 'name', 'azp')),
    );
    expect(principal).toMatchObject({ id: 'pairwise-subject-of-alice', name: 'pairwise-subject-of-alice' });
    expect(principal.roles).toEqual([]);
    expect(principal.scopes).toEqual([]);
    expect(principal).not.toHaveProperty('client_id');
  });
});

describe('app binding', () => {
  async function bound(
    options: ConstructorParameters<typeof TokenValidator>[0]['appBinding'],
    claims = userClaims(),
  ) {
    const bindingValidator = new TokenValidator({
      issuers: [entraIssuer],
      audiences: [apiAudience],
      jwks: jwksOf(rsa),
      now: () => t0,
      ...(options === undefined ? {} : { appBinding: options }),
    });
    return (await bindingValidator.validate(await sign(rsa, claims))).app_id;
  }

  it('reads the aos_app claim', async () => {
    expect(await bound(undefined, userClaims({ aos_app: 'contoso-sales' }))).toBe('contoso-sales');
  });

  it('maps the client id when the token has no app claim', async () => {
    expect(await bound({ clients: { [callerClientId]: 'contoso-ops' } })).toBe('contoso-ops');
  });

  it('prefers the claim to the client mapping', async () => {
    expect(
      await bound({ clients: { [callerClientId]: 'contoso-ops' } }, userClaims({ aos_app: 'contoso-sales' })),
    ).toBe('contoso-sales');
  });

  it('reads a renamed claim, and ignores claims when told to', async () => {
    expect(await bound({ claim: 'extn.app' }, userClaims({ 'extn.app': 'renamed' }))).toBe('renamed');
    expect(await bound({ claim: null }, userClaims({ aos_app: 'contoso-sales' }))).toBeNull();
  });

  it('does not match client ids against Object.prototype', async () => {
    expect(await bound({ clients: {} }, userClaims({ azp: 'constructor' }))).toBeNull();
  });

  it('is null without a claim or a mapping', async () => {
    expect(await bound({ clients: { 'another-client': 'x' } })).toBeNull();
  });

  it('refuses a mapping to something that is not an app id', () => {
    expect(
      () =>
        new TokenValidator({
          issuers: [entraIssuer],
          audiences: [apiAudience],
          jwks: jwksOf(rsa),
          appBinding: { clients: { [callerClientId]: 'not an id' } },
        }),
    ).toThrow(/not an app id/);
  });
});

describe('Authorization headers', () => {
  it('extracts bearer tokens', () => {
    expect(bearerTokenFrom('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerTokenFrom('bearer   abc.def.ghi ')).toBe('abc.def.ghi');
    expect(bearerTokenFrom('Basic dXNlcjpwdw==')).toBeUndefined();
    expect(bearerTokenFrom('Bearer')).toBeUndefined();
    expect(bearerTokenFrom('Bearer a b')).toBeUndefined();
    expect(bearerTokenFrom(null)).toBeUndefined();
  });

  it('authenticates a header, and answers a missing one with a bare challenge', async () => {
    const principal = await validator.authenticate(`Bearer ${await sign(rsa)}`);
    expect(principal.id).toBe(userClaims().oid);
    await expectRefused(validator.authenticate(undefined), 'missing');
    await expectRefused(validator.authenticate('Basic dXNlcjpwdw=='), 'missing');
    await expectRefused(validator.authenticate('Bearer not-a-jwt'), 'malformed');
  });
});

describe('TokenValidator options', () => {
  const base = { issuers: [entraIssuer], audiences: [apiAudience] };

  it('refuses a clock skew above 300 seconds or below zero', () => {
    const jwks = jwksOf(rsa);
    expect(() => new TokenValidator({ ...base, jwks, clockSkewSeconds: 301 })).toThrow(RangeError);
    expect(() => new TokenValidator({ ...base, jwks, clockSkewSeconds: -1 })).toThrow(RangeError);
    expect(new TokenValidator({ ...base, jwks, clockSkewSeconds: 300 }).clockSkewSeconds).toBe(300);
    expect(new TokenValidator({ ...base, jwks }).clockSkewSeconds).toBe(120);
  });

  it('refuses algorithms outside RS256 and ES256', () => {
    const algorithms = ['HS256'] as unknown as ['RS256'];
    expect(() => new TokenValidator({ ...base, jwks: jwksOf(rsa), algorithms })).toThrow(/algorithms/);
    expect(() => new TokenValidator({ ...base, jwks: jwksOf(rsa), algorithms: [] })).toThrow(/algorithms/);
  });

  it('needs issuers and audiences', () => {
    expect(() => new TokenValidator({ ...base, issuers: [], jwks: jwksOf(rsa) })).toThrow(/issuers/);
    expect(() => new TokenValidator({ ...base, audiences: [''], jwks: jwksOf(rsa) })).toThrow(/audiences/);
  });

  it('takes one key source only', () => {
    expect(
      () => new TokenValidator({ ...base, jwks: jwksOf(rsa), jwksUri: 'https://login.example/keys' }),
    ).toThrow(/at most one/);
  });

  it('refuses a fixed key set without a usable signing key', () => {
    const secretOnly = { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }] };
    expect(() => new TokenValidator({ ...base, jwks: secretOnly })).toThrow(/no RS256 or ES256/);
  });

  it('refuses key URLs over plain http except on loopback', () => {
    expect(() => new TokenValidator({ ...base, jwksUri: 'http://login.example/keys' })).toThrow(/https/);
    expect(() => new TokenValidator({ ...base, jwksUri: 'http://127.0.0.1:1/keys' })).not.toThrow();
  });
});

describe('combineTokenValidators', () => {
  it('routes each token to the validator for its issuer', async () => {
    const otherIssuer = 'urn:test:other';
    const other = new TokenValidator({
      issuers: [otherIssuer],
      audiences: ['api://other'],
      jwks: jwksOf(ec),
      now: () => t0,
    });
    const both = combineTokenValidators([validator, other]);
    await expect(both.validate(await sign(rsa))).resolves.toMatchObject({ issuer: entraIssuer });
    await expect(
      both.validate(await sign(ec, userClaims({ iss: otherIssuer, aud: 'api://other' }))),
    ).resolves.toMatchObject({ issuer: otherIssuer });
    // The other issuer's validator does not trust the RSA key.
    await expectRefused(
      both.validate(await sign(rsa, userClaims({ iss: otherIssuer, aud: 'api://other' }))),
      'unknown_kid',
    );
    await expectRefused(both.validate(await sign(rsa, userClaims({ iss: 'urn:nobody' }))), 'wrong_issuer');
    await expectRefused(both.authenticate(undefined), 'missing');
    await expectRefused(both.validate('junk'), 'malformed');
  });
});
