import type { Principal } from '../../kernel/auth/access';
import { KernelError } from '../../kernel/errors';
import type { Caller } from '../../kernel/orchestrations';

/** The kernel services' view of who is calling, from the authenticated principal. */
export function callerOf(principal: Principal | undefined): Caller {
  return { app_id: principal?.app_id ?? null, principal: principal?.name ?? 'anonymous' };
}

/**
 * The principal of a protected route. executeRoute has already answered 401 when
 * there is none; this only turns that guarantee into a type.
 */
export function required(principal: Principal | undefined): Principal {
  if (principal === undefined) throw new KernelError('unauthorized', 'Unauthorized');
  return principal;
}
