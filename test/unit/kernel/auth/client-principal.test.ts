import { describe, expect, it } from 'vitest';
import {
  decodeClientPrincipal,
  maxClientPrincipalLength,
  principalFromClientPrincipal,
} from '../../../../src/kernel/auth';
import { AppBinding } from '../../../../src/kernel/auth/tokens';
import type { Claim } from '../../../support/client-principal';
import {
  appPayload,
  claimTypes,
  clientPrincipalHeaderValue as encode,
  easyAuthClient,
  easyAuthTenant,
  userPayload,
} from '../../../support/client-principal';
import { expectRefused } from './tokens/token-fixtures';

function parse(header: string, binding?: AppBinding) {
  return principalFromClientPrincipal(header, binding);
}

/** Parses inside a promise, so a throw becomes a rejection expectRefused can inspect. */
function attempt(header: string, binding?: AppBinding): Promise<unknown> {
  return Promise.resolve().then(() => parse(header, binding));
}

describe('principalFromClientPrincipal', () => {
  it('maps an Easy Auth delegated user, long-URI claims and all, to a principal', () => {
    expect(parse(encode(userPayload()))).toEqual({
      id: '5f2b6c1e-0d3a-4e8b-9c7d-1a2b3c4d5e6f',
      name: 'alice@contoso.example',
      kind: 'user',
      roles: ['operator', 'approver'],
      scopes: ['Orchestrations.ReadWrite', 'Orchestrations.Approve'],
      app_id: null,
    });
  });

  it('maps an app-only caller to kind app, named by its client id', () => {
    expect(parse(encode(appPayload()))).toEqual({
      id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      name: easyAuthClient,
      kind: 'app',
      roles: ['app'],
      scopes: [],
      app_id: null,
    });
  });

  it('takes the id from the nameidentifier URI (sub) when there is no objectidentifier', () => {
    const payload = userPayload();
    const principal = parse(
      encode({ ...payload, claims: payload.claims.filter((claim) => claim.typ !== claimTypes.oid) }),
    );
    expect(principal.id).toBe('p4irw1se-subject-of-alice');
  });

  it('reads name, upn and email from their long URIs', () => {
    const only = (claims: Claim[]) =>
      parse(encode({ auth_typ: 'aad', claims: [{ typ: claimTypes.oid, val: 'o-1' }, ...claims] })).name;
    expect(only([{ typ: claimTypes.upn, val: 'upn@contoso.example' }])).toBe('upn@contoso.example');
    expect(only([{ typ: claimTypes.email, val: 'mail@contoso.example' }])).toBe('mail@contoso.example');
    expect(
      only([
        { typ: claimTypes.email, val: 'mail@contoso.example' },
        { typ: claimTypes.name, val: 'Display Name' },
      ]),
    ).toBe('Display Name');
    expect(only([])).toBe('o-1');
  });

  it('collects every role entry: the role URI, short roles, and whatever role_typ names', () => {
    const principal = parse(
      encode({
        auth_typ: 'aad',
        claims: [
          { typ: claimTypes.oid, val: 'o-1' },
          { typ: claimTypes.role, val: 'reader' },
          { typ: 'roles', val: 'auditor' },
          { typ: 'https://idp.contoso.example/role', val: 'operator' },
        ],
        role_typ: 'https://idp.contoso.example/role',
      }),
    );
    expect(principal.roles).toEqual(['reader', 'auditor', 'operator']);
  });

  it('reads short claim names as they are', () => {
    const principal = parse(
      encode({
        auth_typ: 'aad',
        claims: [
          { typ: 'oid', val: 'o-1' },
          { typ: 'sub', val: 's-1' },
          { typ: 'scp', val: 'Kernel.Read' },
          { typ: 'appid', val: easyAuthClient },
        ],
      }),
    );
    expect(principal).toEqual({
      id: 'o-1',
      name: easyAuthClient,
      kind: 'user',
      roles: [],
      scopes: ['Kernel.Read'],
      app_id: null,
    });
  });

  it('binds the caller to the app its aos_app claim names', () => {
    expect(parse(encode(userPayload([{ typ: 'aos_app', val: 'contoso-sales' }]))).app_id).toBe(
      'contoso-sales',
    );
  });

  it('binds by client id when the binding maps it', () => {
    const binding = new AppBinding({ clients: { [easyAuthClient]: 'contoso-ops' } });
    expect(parse(encode(appPayload()), binding).app_id).toBe('contoso-ops');
  });

  it('does not let a claim named __proto__ or constructor reach anything', () => {
    const principal = parse(
      encode(
        userPayload([
          { typ: '__proto__', val: 'polluted' },
          { typ: 'constructor', val: 'polluted' },
        ]),
      ),
    );
    expect(principal.id).toBe('5f2b6c1e-0d3a-4e8b-9c7d-1a2b3c4d5e6f');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('decodes the payload it was given', () => {
    expect(decodeClientPrincipal(encode(appPayload()))).toEqual(appPayload());
  });
});

describe('x-ms-client-principal and the kernel issuer allow-list', () => {
  const trusted = `https://login.microsoftonline.com/${easyAuthTenant}/v2.0`;

  it('accepts any issuer Easy Auth accepted while AOS_AUTH_ISSUERS is empty', () => {
    const other = userPayload().claims.map((claim) =>
      claim.typ === 'iss' ? { typ: 'iss', val: 'https://accounts.google.com' } : claim,
    );
    expect(principalFromClientPrincipal(encode({ ...userPayload(), claims: other }))).toMatchObject({
      name: 'alice@contoso.example',
    });
  });

  it('accepts a trusted issuer, and refuses another tenant or no iss with the uniform 401', async () => {
    expect(principalFromClientPrincipal(encode(userPayload()), new AppBinding(), [trusted])).toMatchObject({
      roles: ['operator', 'approver'],
    });
    const otherTenant = userPayload().claims.map((claim) =>
      claim.typ === 'iss'
        ? { typ: 'iss', val: 'https://login.microsoftonline.com/other-tenant/v2.0' }
        : claim,
    );
    const noIss = userPayload().claims.filter((claim) => claim.typ !== 'iss');
    for (const claims of [otherTenant, noIss]) {
      const header = encode({ ...userPayload(), claims });
      await expectRefused(
        Promise.resolve().then(() => principalFromClientPrincipal(header, new AppBinding(), [trusted])),
        'wrong_issuer',
      );
    }
  });
});

describe('a malformed x-ms-client-principal', () => {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
  const cases: { name: string; header: string }[] = [
    { name: 'an empty header', header: '' },
    { name: 'not base64', header: '%%% not base64 %%%' },
    { name: 'base64url instead of base64', header: Buffer.from('{"a":"??>"}').toString('base64url') + '-_' },
    { name: 'a truncated base64 value', header: encode(userPayload()).slice(0, -3) },
    { name: 'base64 of something that is not JSON', header: Buffer.from('not json').toString('base64') },
    { name: 'a JSON array', header: json([userPayload()]) },
    { name: 'JSON null', header: json(null) },
    { name: 'no claims', header: json({ auth_typ: 'aad' }) },
    { name: 'claims that are not a list', header: json({ auth_typ: 'aad', claims: { oid: 'o-1' } }) },
    {
      name: 'a claim value that is not a string',
      header: json({ auth_typ: 'aad', claims: [{ typ: 'oid', val: 1 }] }),
    },
    { name: 'a claim without a type', header: json({ auth_typ: 'aad', claims: [{ val: 'o-1' }] }) },
    { name: 'no auth_typ', header: json({ claims: [{ typ: 'oid', val: 'o-1' }] }) },
    { name: 'a role_typ that is not a string', header: json({ ...userPayload(), role_typ: 7 }) },
    {
      name: 'no id (neither objectidentifier nor nameidentifier)',
      header: json({ auth_typ: 'aad', claims: [{ typ: 'name', val: 'Alice' }] }),
    },
    {
      name: 'an id longer than 256 characters',
      header: json({ auth_typ: 'aad', claims: [{ typ: claimTypes.oid, val: 'x'.repeat(257) }] }),
    },
    {
      name: 'an aos_app that is not an app id',
      header: encode(userPayload([{ typ: 'aos_app', val: 'no spaces' }])),
    },
    {
      name: 'two different aos_app values',
      header: encode(
        userPayload([
          { typ: 'aos_app', val: 'contoso-sales' },
          { typ: 'aos_app', val: 'contoso-ops' },
        ]),
      ),
    },
    {
      name: 'a well-formed header over the length cap',
      header: encode(userPayload([{ typ: 'padding', val: 'x'.repeat((maxClientPrincipalLength * 3) / 4) }])),
    },
  ];

  it.each(cases)('refuses $name with the uniform 401', async ({ header }) => {
    await expectRefused(attempt(header), 'malformed');
  });

  it('accepts a header just under the length cap', () => {
    const padding = { typ: 'padding', val: '' };
    const base = encode(userPayload([padding])).length;
    // Every 3 bytes of JSON become 4 characters of base64.
    const room = Math.floor(((maxClientPrincipalLength - base) * 3) / 4) - 3;
    const header = encode(userPayload([{ typ: 'padding', val: 'x'.repeat(room) }]));
    expect(header.length).toBeLessThanOrEqual(maxClientPrincipalLength);
    expect(header.length).toBeGreaterThan(maxClientPrincipalLength - 8);
    expect(parse(header).id).toBe('5f2b6c1e-0d3a-4e8b-9c7d-1a2b3c4d5e6f');
  });
});
