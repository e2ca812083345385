/**
 * Who a verified token speaks for. The mapping from claims is pure and runs only on
 * claims whose signature, issuer, audience and lifetime have already been checked
 * (by the kernel for a bearer token, by App Service Authentication for its client
 * principal header; see ../client-principal.ts).
 *
 * Claims read (Microsoft Entra ID v2 access tokens, and the local issuer's tokens):
 * - `id`: `oid` (the object id, stable across apps in a tenant), else `sub`.
 * - `kind`: `idtyp` when present (`app` / `user`, an Entra optional claim); else a
 *   token with `scp` is delegated, so `user`; else `oid === sub` marks an app-only
 *   token (Entra issues app tokens whose subject is the app's service principal);
 *   anything else is `user`.
 * - `name`: the first of `preferred_username`, `name`, `upn`, `unique_name`, `email`,
 *   `app_displayname`, `azp`, `appid`, else the id.
 * - `client_id`: `azp` (v2) or `appid` (v1): the client application that got the token.
 * - `roles` from `roles` (app roles); `scopes` from `scp` (space-separated).
 * - `app_id`, the kernel's app binding: the app (in the kernel's sense, the tenant of
 *   app-isolation) the caller acts for. Taken from the custom claim `aos_app` (name
 *   configurable) when the token carries one, otherwise from a configured map of
 *   client ids to app ids, otherwise null (a kernel-wide caller).
 */

export type PrincipalKind = 'user' | 'app';

export interface Principal {
  /** `oid`, else `sub`. */
  readonly id: string;
  readonly name: string;
  readonly kind: PrincipalKind;
  /** `tid`: the Entra tenant. */
  readonly tenant_id?: string;
  /** `azp` / `appid`: the client application the token was issued to. */
  readonly client_id?: string;
  /** The kernel app the caller is bound to; null for kernel-wide callers. */
  readonly app_id: string | null;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly issuer: string;
  /** ISO 8601 instant of `exp`. */
  readonly expires_at: string;
}

export interface AppBindingOptions {
  /** The claim that names the app directly. Default `aos_app`; null ignores any such claim. */
  readonly claim?: string | null;
  /** Client id (`azp` / `appid`) → app id, for identity providers that cannot add a custom claim. */
  readonly clients?: Readonly<Record<string, string>>;
}

export const defaultAppClaim = 'aos_app';

/** App ids follow the kernel's id rule. */
export const appIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Who the claims speak for, without what only a JWT carries (`iss`, `exp`). */
export type ClaimsIdentity = Omit<Principal, 'issuer' | 'expires_at'>;

export interface ClaimsFault {
  readonly ok: false;
  readonly reason: 'missing_claim' | 'invalid_claim';
  readonly claim: string;
}

export type ClaimsResult = { readonly ok: true; readonly principal: Principal } | ClaimsFault;

export type IdentityResult = { readonly ok: true; readonly identity: ClaimsIdentity } | ClaimsFault;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Latest instant a JS Date can hold, in seconds. */
const maxEpochSeconds = 8.64e12 / 1000;

/** Precomputed app-binding rules, so a map lookup cannot hit Object.prototype. */
export class AppBinding {
  private readonly claim: string | null;
  private readonly clients: ReadonlyMap<string, string>;

  constructor(options: AppBindingOptions = {}) {
    this.claim = options.claim === undefined ? defaultAppClaim : options.claim;
    const clients = new Map<string, string>();
    for (const [client, app] of Object.entries(options.clients ?? {})) {
      if (!appIdPattern.test(app))
        throw new TypeError(`app binding for client '${client}': '${app}' is not an app id`);
      clients.set(client, app);
    }
    this.clients = clients;
  }

  /** The bound app, null, or the name of the claim at fault. */
  resolve(
    claims: Readonly<Record<string, unknown>>,
    clientId: string | undefined,
  ): string | null | { claim: string } {
    if (this.claim !== null && claims[this.claim] !== undefined) {
      const value = claims[this.claim];
      return typeof value === 'string' && appIdPattern.test(value) ? value : { claim: this.claim };
    }
    return clientId === undefined ? null : (this.clients.get(clientId) ?? null);
  }
}

export function principalFromClaims(
  claims: Readonly<Record<string, unknown>>,
  binding: AppBinding = new AppBinding(),
): ClaimsResult {
  const issuer = text(claims['iss']);
  if (issuer === undefined) return { ok: false, reason: 'missing_claim', claim: 'iss' };
  const exp = claims['exp'];
  if (exp === undefined) return { ok: false, reason: 'missing_claim', claim: 'exp' };
  if (typeof exp !== 'number' || !Number.isFinite(exp) || Math.abs(exp) > maxEpochSeconds) {
    return { ok: false, reason: 'invalid_claim', claim: 'exp' };
  }
  const result = identityFromClaims(claims, binding);
  if (!result.ok) return result;
  return {
    ok: true,
    principal: { ...result.identity, issuer, expires_at: new Date(exp * 1000).toISOString() },
  };
}

/**
 * The id, kind, name, client, roles, scopes and app binding the claims give (the
 * rules at the top of this file). Shared by bearer tokens and by App Service
 * Authentication's client principal, which carries the same claims without `exp`.
 */
export function identityFromClaims(
  claims: Readonly<Record<string, unknown>>,
  binding: AppBinding = new AppBinding(),
): IdentityResult {
  const oid = text(claims['oid']);
  const sub = text(claims['sub']);
  const id = oid ?? sub;
  if (id === undefined) return { ok: false, reason: 'missing_claim', claim: 'sub' };
  if (id.length > 256)
    return { ok: false, reason: 'invalid_claim', claim: oid === undefined ? 'sub' : 'oid' };

  const rawRoles = claims['roles'];
  if (
    rawRoles !== undefined &&
    !(Array.isArray(rawRoles) && rawRoles.every((role): role is string => typeof role === 'string'))
  ) {
    return { ok: false, reason: 'invalid_claim', claim: 'roles' };
  }
  const roles: string[] = rawRoles === undefined ? [] : [...rawRoles];

  const rawScopes = claims['scp'];
  if (rawScopes !== undefined && typeof rawScopes !== 'string') {
    return { ok: false, reason: 'invalid_claim', claim: 'scp' };
  }
  const scopes = rawScopes === undefined ? [] : rawScopes.split(/\s+/).filter((scope) => scope !== '');

  const idtyp = claims['idtyp'];
  const kind: PrincipalKind =
    idtyp === 'app' || idtyp === 'user'
      ? idtyp
      : rawScopes !== undefined
        ? 'user'
        : oid !== undefined && oid === sub
          ? 'app'
          : 'user';

  const clientId = text(claims['azp']) ?? text(claims['appid']);
  const name =
    ['preferred_username', 'name', 'upn', 'unique_name', 'email', 'app_displayname', 'azp', 'appid']
      .map((claim) => text(claims[claim]))
      .find((value) => value !== undefined) ?? id;

  const app = binding.resolve(claims, clientId);
  if (app !== null && typeof app === 'object')
    return { ok: false, reason: 'invalid_claim', claim: app.claim };

  const tenantId = text(claims['tid']);
  return {
    ok: true,
    identity: {
      id,
      name,
      kind,
      ...(tenantId === undefined ? {} : { tenant_id: tenantId }),
      ...(clientId === undefined ? {} : { client_id: clientId }),
      app_id: app,
      roles,
      scopes,
    },
  };
}
