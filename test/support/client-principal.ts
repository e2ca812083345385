/**
 * `x-ms-client-principal` values shaped like the ones App Service Authentication
 * forwards for Microsoft Entra ID callers: its default claim mapping turns `oid`,
 * `tid`, `scp`, `sub` and `roles` into long claim-type URIs, one entry per role, and
 * leaves the rest (including the token's own `exp`, as a string) under their names.
 */

export const claimTypes = {
  oid: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  tid: 'http://schemas.microsoft.com/identity/claims/tenantid',
  scp: 'http://schemas.microsoft.com/identity/claims/scope',
  sub: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  role: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
} as const;

export const easyAuthTenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const easyAuthClient = '3c5e8d4a-1b2c-4d6e-8f90-a1b2c3d4e5f6';

export interface Claim {
  readonly typ: string;
  readonly val: string;
}

export interface ClientPrincipalPayload {
  readonly auth_typ: string;
  readonly claims: readonly Claim[];
  readonly name_typ?: string;
  readonly role_typ?: string;
}

/** A delegated Entra v2 token for Alice, through a client app, as Easy Auth forwards it. */
export function userPayload(
  extra: readonly Claim[] = [],
  roles = ['operator', 'approver'],
): ClientPrincipalPayload {
  return {
    auth_typ: 'aad',
    claims: [
      { typ: 'aud', val: 'api://aos-kernel' },
      { typ: 'iss', val: `https://login.microsoftonline.com/${easyAuthTenant}/v2.0` },
      { typ: 'iat', val: '1767225600' },
      { typ: 'nbf', val: '1767225600' },
      { typ: 'exp', val: '1767229500' },
      { typ: 'azp', val: easyAuthClient },
      { typ: 'azpacr', val: '0' },
      { typ: 'name', val: 'Alice Example' },
      { typ: claimTypes.oid, val: '5f2b6c1e-0d3a-4e8b-9c7d-1a2b3c4d5e6f' },
      { typ: 'preferred_username', val: 'alice@contoso.example' },
      ...roles.map((role) => ({ typ: claimTypes.role, val: role })),
      { typ: claimTypes.scp, val: 'Orchestrations.ReadWrite Orchestrations.Approve' },
      { typ: claimTypes.sub, val: 'p4irw1se-subject-of-alice' },
      { typ: claimTypes.tid, val: easyAuthTenant },
      { typ: 'uti', val: 'AbCdEfGhIjKlMnOpQrSt' },
      { typ: 'ver', val: '2.0' },
      ...extra,
    ],
    name_typ: claimTypes.name,
    role_typ: claimTypes.role,
  };
}

/** An app-only Entra token (client credentials) for a daemon, as Easy Auth forwards it. */
export function appPayload(extra: readonly Claim[] = []): ClientPrincipalPayload {
  const servicePrincipal = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
  return {
    auth_typ: 'aad',
    claims: [
      { typ: 'aud', val: 'api://aos-kernel' },
      { typ: 'iss', val: `https://login.microsoftonline.com/${easyAuthTenant}/v2.0` },
      { typ: 'azp', val: easyAuthClient },
      { typ: 'idtyp', val: 'app' },
      { typ: claimTypes.oid, val: servicePrincipal },
      { typ: claimTypes.role, val: 'app' },
      { typ: claimTypes.sub, val: servicePrincipal },
      { typ: claimTypes.tid, val: easyAuthTenant },
      ...extra,
    ],
    name_typ: claimTypes.name,
    role_typ: claimTypes.role,
  };
}

/** The header value: base64 (not base64url) of the JSON, as App Service sends it. */
export function clientPrincipalHeaderValue(payload: unknown): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');
}
