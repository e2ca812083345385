/**
 * Who is calling, once authentication has decided it. Token validation (Entra ID
 * or the local issuer) and API keys both produce this one shape, so every check
 * after authentication reads the same fields whatever the credential was.
 */

/** `user`: a delegated token (a person through a client); `app`: an app-only token; `key`: an API key. */
export type PrincipalKind = 'user' | 'app' | 'key';

export const principalKinds: readonly PrincipalKind[] = ['user', 'app', 'key'];

export interface Principal {
  /** Stable id: the token's `oid` (or `sub`), or `key:<key_id>` for an API key. */
  readonly id: string;
  /** Display name: a user principal name, an app's name, or `key:<key name>`. */
  readonly name: string;
  readonly kind: PrincipalKind;
  /** App role values (the token's `roles` claim, or a key's roles). Unknown values grant nothing. */
  readonly roles: readonly string[];
  /** Delegated scopes (the token's `scp` claim, split on spaces). Empty for app tokens and keys. */
  readonly scopes: readonly string[];
  /** The client app this principal is bound to, or null for a kernel-wide principal. */
  readonly app_id: string | null;
}

/** Whether the principal acts for the whole kernel rather than for one app. */
export function isKernelWide(principal: Principal): boolean {
  return principal.app_id === null;
}
