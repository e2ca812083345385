import type { Caller } from '../../kernel/orchestrations';

/**
 * Who is calling. Until authentication lands (its own issue) every caller acts
 * kernel-wide; the app-isolation and approver checks in the kernel already take
 * this value, so authentication only has to fill it in.
 */
export function callerOf(_headers: { get(name: string): string | null }): Caller {
  return { app_id: null, principal: 'anonymous' };
}
