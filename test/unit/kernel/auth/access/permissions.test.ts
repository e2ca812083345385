import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OperationName, Permission, Role } from '../../../../../src/kernel/auth/access';
import {
  authorize,
  authorizeOperation,
  hasPermission,
  operationNames,
  permissionFor,
  permissionTable,
  permissionTableMarkdown,
  permissions,
  permissionsOf,
  roles,
} from '../../../../../src/kernel/auth/access';
import { KernelError, toProblem } from '../../../../../src/kernel/errors';
import { principal, withRoles } from './principals';

function thrown(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

/**
 * Who may call what, written out by hand for a sample of routes, so a change to
 * the table in code that is not also a decision here fails.
 */
const expected: readonly (readonly [OperationName, Permission, readonly Role[]])[] = [
  ['agents_register', 'agents:write', ['admin', 'operator', 'app']],
  ['agents_list', 'agents:read', ['admin', 'operator', 'app', 'agent', 'auditor', 'reader']],
  ['agents_ask', 'agents:invoke', ['admin', 'operator', 'app', 'agent']],
  ['agents_message', 'orchestrations:message', ['admin', 'operator', 'app', 'agent']],
  ['orchestrations_submit', 'orchestrations:write', ['admin', 'operator', 'app']],
  [
    'orchestrations_get',
    'orchestrations:read',
    ['admin', 'operator', 'app', 'agent', 'approver', 'auditor', 'reader'],
  ],
  ['orchestrations_cancel', 'orchestrations:write', ['admin', 'operator', 'app']],
  ['orchestrations_approval', 'orchestrations:approve', ['approver']],
  ['orchestrations_task_reply', 'orchestrations:reply', ['admin', 'agent']],
  ['audit_trail', 'audit:read', ['admin', 'auditor']],
  ['auth_keys_create', 'keys:manage', ['admin', 'app']],
  ['apps_register', 'apps:write', ['admin', 'operator']],
  ['mcp_tool_call', 'mcp:invoke', ['admin', 'operator', 'app', 'agent']],
];

describe('permissions by role', () => {
  const cases = expected.flatMap(([operation, permission, allowed]) =>
    roles.map((role) => ({ operation, permission, role, allowed: allowed.includes(role) })),
  );

  it.each(cases.filter((c) => !c.allowed))(
    'answers 403 to $role on $operation, naming $permission',
    ({ operation, permission, role }) => {
      const error = thrown(() => authorizeOperation(withRoles(role), operation));
      expect(error).toBeInstanceOf(KernelError);
      const { problem } = toProblem(error);
      expect(problem.status).toBe(403);
      expect(problem.detail).toBe(`This operation needs the permission '${permission}'.`);
      expect(problem['missing_permission']).toBe(permission);
      expect(JSON.stringify(problem)).not.toContain('roles');
    },
  );

  it.each(cases.filter((c) => c.allowed))('lets $role call $operation', ({ operation, role }) => {
    expect(() => authorizeOperation(withRoles(role), operation)).not.toThrow();
  });

  it('maps each sampled route to the permission written down here', () => {
    for (const [operation, permission] of expected) expect(permissionFor(operation)).toBe(permission);
  });

  it('gives approving a gate to approver alone, not even to admin', () => {
    expect(hasPermission(withRoles('admin'), 'orchestrations:approve')).toBe(false);
    expect(hasPermission(withRoles('operator'), 'orchestrations:approve')).toBe(false);
    expect(hasPermission(withRoles('approver'), 'orchestrations:approve')).toBe(true);
    expect(hasPermission(withRoles('admin', 'approver'), 'orchestrations:approve')).toBe(true);
    // An approver must see what it approves, and nothing more than reading.
    expect(hasPermission(withRoles('approver'), 'orchestrations:read')).toBe(true);
    expect(hasPermission(withRoles('approver'), 'orchestrations:write')).toBe(false);
  });

  it('gives the audit trail to auditor and admin only', () => {
    const readers = roles.filter((role) => hasPermission(withRoles(role), 'audit:read'));
    expect(readers.sort()).toEqual(['admin', 'auditor']);
    expect(() => authorizeOperation(withRoles('auditor'), 'audit_trail')).not.toThrow();
    expect(hasPermission(withRoles('auditor'), 'orchestrations:write')).toBe(false);
  });

  it('grants nothing for unknown roles, and takes the union of several', () => {
    expect([...permissionsOf(withRoles('Admin', 'root', 'superuser'))].sort()).toEqual([
      'health:read',
      'identity:read',
    ]);
    const both = permissionsOf(withRoles('approver', 'auditor'));
    expect(both.has('orchestrations:approve')).toBe(true);
    expect(both.has('audit:read')).toBe(true);
  });

  it('lets every authenticated principal ask who it is and read health details', () => {
    const nobody = withRoles();
    expect(() => authorizeOperation(nobody, 'auth_whoami')).not.toThrow();
    expect(() => authorizeOperation(nobody, 'health_details')).not.toThrow();
    expect(() => authorizeOperation(nobody, 'agents_list')).toThrow(KernelError);
  });

  it('lets anyone call public operations and asks for credentials (401) everywhere else', () => {
    expect(() => authorizeOperation(undefined, 'health')).not.toThrow();
    expect(() => authorizeOperation(undefined, 'fallback')).not.toThrow();
    const error = thrown(() => authorizeOperation(undefined, 'auth_whoami'));
    expect(error).toBeInstanceOf(KernelError);
    expect((error as KernelError).status).toBe(401);
    expect((error as KernelError).headers['www-authenticate']).toBe('Bearer');
  });

  it('authorize throws 403 for a missing permission and returns for a held one', () => {
    expect(() => authorize(withRoles('reader'), 'agents:read')).not.toThrow();
    expect((thrown(() => authorize(withRoles('reader'), 'agents:write')) as KernelError).code).toBe(
      'forbidden',
    );
  });
});

describe('delegated scopes', () => {
  const user = (roles: string[], scopes: string[]) => principal({ kind: 'user', roles, scopes });

  it('allows what both the roles and the scopes allow', () => {
    const operator = user(['operator'], ['Orchestrations.ReadWrite']);
    expect(() => authorizeOperation(operator, 'orchestrations_submit')).not.toThrow();
    expect(() => authorizeOperation(operator, 'orchestrations_get')).not.toThrow();
    expect(() => authorizeOperation(operator, 'agents_register')).toThrow(KernelError);
  });

  it('never grants through a scope what the roles do not', () => {
    const reader = user(['reader'], ['Orchestrations.ReadWrite', 'Agents.ReadWrite', 'Audit.Read']);
    const error = thrown(() => authorizeOperation(reader, 'orchestrations_submit'));
    expect((error as KernelError).status).toBe(403);
    expect((error as KernelError).detail).toContain('orchestrations:write');
    expect(hasPermission(reader, 'audit:read')).toBe(false);
    expect(hasPermission(reader, 'orchestrations:read')).toBe(true);
  });

  it('narrows an admin to its read scope', () => {
    const admin = user(['admin'], ['Kernel.Read']);
    expect(hasPermission(admin, 'agents:read')).toBe(true);
    expect(hasPermission(admin, 'orchestrations:read')).toBe(true);
    expect(hasPermission(admin, 'orchestrations:write')).toBe(false);
    expect(hasPermission(admin, 'audit:read')).toBe(false);
    expect(hasPermission(user(['admin'], ['Audit.Read']), 'audit:read')).toBe(true);
  });

  it('lets user_impersonation leave the decision to the roles', () => {
    const admin = user(['admin'], ['user_impersonation']);
    const held = permissionsOf(admin);
    expect(held).toEqual(permissionsOf(withRoles('admin')));
    expect(held.has('orchestrations:approve')).toBe(false);
  });

  it('leaves a token without scopes to its roles', () => {
    expect(permissionsOf(user(['admin'], []))).toEqual(permissionsOf(withRoles('admin')));
    expect(hasPermission(principal({ kind: 'app', roles: ['app'] }), 'orchestrations:write')).toBe(true);
  });

  it('narrows to nothing but identity when every scope is unknown', () => {
    expect([...permissionsOf(user(['admin'], ['openid', 'Files.Read']))].sort()).toEqual([
      'health:read',
      'identity:read',
    ]);
  });

  it('needs Orchestrations.Approve (or user_impersonation) for a person to approve', () => {
    expect(hasPermission(user(['approver'], ['Orchestrations.ReadWrite']), 'orchestrations:approve')).toBe(
      false,
    );
    expect(hasPermission(user(['approver'], ['Orchestrations.Approve']), 'orchestrations:approve')).toBe(
      true,
    );
  });
});

describe('the permission table', () => {
  it('names each operation once', () => {
    const all = permissionTable.flatMap((row) => [...row.operations]);
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(permissions).size).toBe(permissions.length);
  });

  it('covers every route the kernel registers', () => {
    const dir = path.resolve(__dirname, '../../../../../src/functions/http');
    const registered = new Set<string>();
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      for (const match of text.matchAll(/(?:name:\s*|app\.http\(\s*)'([A-Za-z0-9_]+)'/g)) {
        registered.add(match[1]!);
      }
    }
    expect(registered.size).toBeGreaterThan(10);
    const known = new Set<string>(operationNames);
    expect([...registered].filter((name) => !known.has(name))).toEqual([]);
  });

  it('renders as a Markdown table with a row per permission and a column per role', () => {
    const lines = permissionTableMarkdown().split('\n');
    expect(lines[0]).toMatch(
      /^\| Permission +\| admin +\| operator +\| app +\| agent +\| approver +\| auditor +\| reader +\| Scopes +\| Operations +\|$/,
    );
    expect(lines).toHaveLength(permissions.length + 3);
    const approve = lines.find((line) => line.startsWith('| `orchestrations:approve`'))!;
    const cells = approve.split('|').map((cell) => cell.trim());
    expect(cells.slice(2, 9)).toEqual(['', '', '', '', 'yes', '', '']);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
  });
});
