import { z } from 'zod';
import type { Principal } from './access';
import { AppBinding, AuthenticationFailure, identityFromClaims } from './tokens';

/**
 * App Service Authentication ("Easy Auth") validates the caller's token in front of
 * the app and forwards who the caller is in `x-ms-client-principal`: base64 of
 * `{auth_typ, claims: [{typ, val}], name_typ, role_typ}`. This turns that header
 * into a Principal by the same rules as a bearer token's claims
 * (tokens/principal.ts), minus `iss` and `exp`, which App Service has checked.
 *
 * Pure, and blind to where the header came from: a forged header parses as well as
 * a real one. Whether to read it at all is the Authenticator's decision
 * (AOS_TRUST_CLIENT_PRINCIPAL).
 */

export const clientPrincipalHeader = 'x-ms-client-principal';

/** Far above any real claim set; bounds the work a junk header can cause. */
export const maxClientPrincipalLength = 32 * 1024;

/**
 * Claim types as App Service forwards them (its default inbound claim mapping turns
 * several JWT claims into these URIs) → the JWT claim names tokens/principal.ts reads.
 * A Map, so a claim typed `__proto__` or `constructor` finds nothing.
 */
const claimNames: ReadonlyMap<string, string> = new Map([
  ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'],
  ['http://schemas.microsoft.com/identity/claims/tenantid', 'tid'],
  ['http://schemas.microsoft.com/identity/claims/scope', 'scp'],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier', 'sub'],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', 'name'],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', 'upn'],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'email'],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/role', 'roles'],
]);

const clientPrincipalSchema = z.object({
  auth_typ: z.string().min(1),
  claims: z.array(z.object({ typ: z.string().min(1), val: z.string() })),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
});

export type ClientPrincipal = z.infer<typeof clientPrincipalSchema>;

const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The cause of a refused client principal: which check failed, for the audit trail only. */
export class ClientPrincipalRejectedError extends Error {
  override readonly name = 'ClientPrincipalRejectedError';
  constructor(readonly why: string) {
    super(`${clientPrincipalHeader}: ${why}`);
  }
}

function malformed(why: string): AuthenticationFailure {
  return new AuthenticationFailure('malformed', {}, new ClientPrincipalRejectedError(why));
}

/** The header's payload, or an AuthenticationFailure('malformed'). */
export function decodeClientPrincipal(header: string): ClientPrincipal {
  const value = header.trim();
  if (value.length > maxClientPrincipalLength) throw malformed('too long');
  if (!base64.test(value) || value.length % 4 === 1) throw malformed('not base64');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw malformed('not JSON');
  }
  const parsed = clientPrincipalSchema.safeParse(json);
  if (!parsed.success) throw malformed('not a client principal');
  return parsed.data;
}

/**
 * The claims as one record keyed by JWT claim name: every value of the role claim
 * (the long URI, `roles`, or whatever `role_typ` names) in `roles`, the scope
 * values joined into `scp`, and any other claim sent more than once as an array
 * (which the string rules then treat as absent, as they would in a JWT).
 */
function claimsOf(principal: ClientPrincipal): Record<string, unknown> {
  const values = new Map<string, string[]>();
  for (const { typ, val } of principal.claims) {
    const name = typ === principal.role_typ ? 'roles' : (claimNames.get(typ) ?? typ);
    values.set(name, [...(values.get(name) ?? []), val]);
  }
  return Object.fromEntries(
    [...values].map(([name, list]): [string, unknown] => {
      if (name === 'roles') return [name, list];
      if (name === 'scp') return [name, list.join(' ')];
      const distinct = [...new Set(list)];
      return [name, distinct.length === 1 ? distinct[0] : distinct];
    }),
  );
}

/**
 * Who an `x-ms-client-principal` header speaks for. Anything that is not a well
 * formed client principal with an id (`oid` or `sub`) and a valid app binding is
 * refused with the same 401 as a bad bearer token.
 */
export function principalFromClientPrincipal(
  header: string,
  binding: AppBinding = new AppBinding(),
  issuers: readonly string[] = [],
): Principal {
  const claims = claimsOf(decodeClientPrincipal(header));
  // Easy Auth checks a token against its own settings, which may admit more
  // tenants or providers than the kernel's AOS_AUTH_ISSUERS: when those are set,
  // the caller's issuer must be one of them, as for a bearer token.
  if (issuers.length > 0) {
    const iss = claims['iss'];
    if (typeof iss !== 'string' || !issuers.includes(iss)) {
      throw new AuthenticationFailure(
        'wrong_issuer',
        typeof iss === 'string' ? { iss } : {},
        new ClientPrincipalRejectedError(typeof iss === 'string' ? 'issuer not trusted' : "no 'iss' claim"),
      );
    }
  }
  const result = identityFromClaims(claims, binding);
  if (!result.ok) throw malformed(`${result.reason} '${result.claim}'`);
  const { id, name, kind, roles, scopes, app_id } = result.identity;
  return { id, name, kind, roles, scopes, app_id };
}
