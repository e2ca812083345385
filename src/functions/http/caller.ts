import type { Principal } from '../../kernel/auth/access';
import type { Caller } from '../../kernel/orchestrations';

/** The kernel services' view of who is calling, from the authenticated principal. */
export function callerOf(principal: Principal | undefined): Caller {
  return { app_id: principal?.app_id ?? null, principal: principal?.name ?? 'anonymous' };
}
