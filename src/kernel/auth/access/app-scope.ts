import { KernelError } from '../../errors';
import type { Principal } from './principal';

/**
 * App isolation. A principal bound to an app (`app_id` set) sees and changes only
 * that app's resources; anything else answers exactly as if it did not exist
 * (404), so one app cannot even learn which ids another app uses. Kernel-wide
 * principals (`app_id` null: admins, operators) see everything.
 */

/** Whether the principal may see a resource owned by `resourceAppId` (null: a kernel-wide resource). */
export function visibleTo(principal: Principal, resourceAppId: string | null): boolean {
  return principal.app_id === null || principal.app_id === resourceAppId;
}

/**
 * Throws 404 `<what> not found` unless the resource is visible to the principal.
 * `what` names the resource as the caller asked for it, e.g. `Orchestration 'o-1'`,
 * so the answer is word for word the one for a missing resource.
 */
export function assertVisible(principal: Principal, resourceAppId: string | null, what: string): void {
  if (!visibleTo(principal, resourceAppId)) throw KernelError.notFound(what);
}

/** What a list query may return: every app's resources, one app's (null: kernel-wide ones), or nothing. */
export type AppFilter =
  | { readonly kind: 'all' }
  | { readonly kind: 'app'; readonly app_id: string | null }
  | { readonly kind: 'none' };

/**
 * The app filter a list query must apply for this principal, given the filter it
 * asked for (undefined: no filter; null: kernel-wide resources only). An
 * app-bound principal gets its own app's resources; asking for another app's (or
 * for kernel-wide ones) finds nothing, as if there were none.
 */
export function appFilterFor(principal: Principal, requested?: string | null): AppFilter {
  if (principal.app_id === null) {
    return requested === undefined ? { kind: 'all' } : { kind: 'app', app_id: requested };
  }
  if (requested === undefined || requested === principal.app_id)
    return { kind: 'app', app_id: principal.app_id };
  return { kind: 'none' };
}

/**
 * The app a resource the principal creates belongs to. App-bound principals
 * create only for their own app; asking for another (or for a kernel-wide
 * resource) is refused with 403, which says nothing about whether that app exists.
 */
export function owningAppFor(principal: Principal, requested?: string | null): string | null {
  if (principal.app_id === null) return requested ?? null;
  if (requested === undefined || requested === principal.app_id) return principal.app_id;
  throw new KernelError('forbidden', 'Forbidden', {
    detail: 'A principal bound to an app creates resources only for its own app.',
  });
}
