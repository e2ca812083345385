import type { Principal } from '../../../../../src/kernel/auth/access';

/** Principals for the access tests: an app-only principal per role unless told otherwise. */
export function principal(overrides: Partial<Principal> = {}): Principal {
  return {
    id: 'p-1',
    name: 'someone@contoso.example',
    kind: 'app',
    roles: [],
    scopes: [],
    app_id: null,
    ...overrides,
  };
}

export function withRoles(...roles: string[]): Principal {
  return principal({ id: `p-${roles.join('-') || 'none'}`, roles });
}
