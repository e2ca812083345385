import { KernelError } from '../../errors';
import type { Principal } from './principal';

/**
 * Who may do what: ONE table, in code, that says for every permission which roles
 * and which delegated scopes grant it and which operations (HTTP routes by
 * function name, and the MCP tools that mirror them) need it. Everything else here
 * is derived from that table, and docs/security.md shows it (a test keeps the two
 * equal), so the rules live in one place.
 *
 * How a principal's permissions are worked out:
 * - What its roles grant (the union over its roles; unknown roles grant nothing),
 * - narrowed by its scopes when it has any: a delegated token (`scp`) lets a client
 *   app do only what both the person's roles and the consented scopes allow. Scopes
 *   never grant anything the roles do not; `user_impersonation` narrows nothing.
 *   App-only tokens and API keys carry no scopes, so their roles alone decide.
 * - Every authenticated principal also holds the `authenticated` rows, whatever
 *   its roles and scopes.
 *
 * Approving a gate is the `approver` role's alone (not even `admin` holds it):
 * deciding is a person's accountable act, kept apart from running the kernel.
 */

export const roles = ['admin', 'operator', 'app', 'agent', 'approver', 'auditor', 'reader'] as const;
export type Role = (typeof roles)[number];

export const scopes = [
  'Kernel.Read',
  'Agents.ReadWrite',
  'Orchestrations.ReadWrite',
  'Orchestrations.Approve',
  'Apps.ReadWrite',
  'Knowledge.ReadWrite',
  'Governance.ReadWrite',
  'Analytics.ReadWrite',
  'Mcp.Invoke',
  'Audit.Read',
  'Keys.Manage',
  'user_impersonation',
] as const;
export type Scope = (typeof scopes)[number];

/** The delegated scope that narrows nothing: a client holding it acts with all of the user's roles. */
export const fullAccessScope: Scope = 'user_impersonation';

/** Operations anyone may call without credentials. */
export const publicOperations = ['health', 'fallback'] as const;
export type PublicOperation = (typeof publicOperations)[number];

interface PermissionRow {
  readonly permission: string;
  /** Roles that grant it, or `authenticated`: every authenticated principal holds it. */
  readonly granted: 'authenticated' | readonly Role[];
  /** Scopes that allow it for delegated tokens (besides `user_impersonation`). */
  readonly scopes: readonly Scope[];
  /** Route function names and MCP tool names that need it. */
  readonly operations: readonly string[];
}

/**
 * THE table. Operation names are the `app.http` function names; names of routes
 * the kernel does not serve yet (apps_*, knowledge_*, risks_*, …) are reserved here
 * so their permission is decided before their code is written. An MCP tool that
 * does what a route does is authorised under that route's name; `mcp` is the MCP
 * endpoint itself (connecting and listing tools).
 */
export const permissionTable = [
  {
    permission: 'identity:read',
    granted: 'authenticated',
    scopes: [],
    operations: ['auth_whoami', 'mcp'],
  },
  {
    permission: 'health:read',
    granted: 'authenticated',
    scopes: [],
    operations: ['health_details'],
  },
  {
    permission: 'agents:read',
    granted: ['admin', 'operator', 'app', 'agent', 'auditor', 'reader'],
    scopes: ['Kernel.Read', 'Agents.ReadWrite'],
    operations: ['agents_list', 'agents_get'],
  },
  {
    permission: 'agents:write',
    granted: ['admin', 'operator', 'app'],
    scopes: ['Agents.ReadWrite'],
    operations: ['agents_register'],
  },
  {
    permission: 'agents:invoke',
    granted: ['admin', 'operator', 'app', 'agent'],
    scopes: ['Agents.ReadWrite'],
    operations: ['agents_ask', 'agents_send'],
  },
  {
    permission: 'orchestrations:read',
    granted: ['admin', 'operator', 'app', 'agent', 'approver', 'auditor', 'reader'],
    scopes: ['Kernel.Read', 'Orchestrations.ReadWrite', 'Orchestrations.Approve'],
    operations: ['orchestrations_list', 'orchestrations_get', 'orchestrations_result'],
  },
  {
    permission: 'orchestrations:write',
    granted: ['admin', 'operator', 'app'],
    scopes: ['Orchestrations.ReadWrite'],
    operations: ['orchestrations_submit', 'orchestrations_stop', 'orchestrations_cancel'],
  },
  {
    permission: 'orchestrations:message',
    granted: ['admin', 'operator', 'app', 'agent'],
    scopes: ['Orchestrations.ReadWrite'],
    operations: ['orchestrations_message', 'agents_message'],
  },
  {
    permission: 'orchestrations:reply',
    granted: ['admin', 'agent'],
    scopes: [],
    operations: ['orchestrations_task_reply'],
  },
  {
    permission: 'orchestrations:approve',
    granted: ['approver'],
    scopes: ['Orchestrations.Approve'],
    operations: ['orchestrations_approval'],
  },
  {
    permission: 'apps:read',
    granted: ['admin', 'operator', 'app', 'auditor', 'reader'],
    scopes: ['Kernel.Read', 'Apps.ReadWrite'],
    operations: ['apps_get'],
  },
  {
    permission: 'apps:write',
    granted: ['admin', 'operator'],
    scopes: ['Apps.ReadWrite'],
    operations: ['apps_register', 'apps_delete'],
  },
  {
    permission: 'keys:manage',
    granted: ['admin', 'app'],
    scopes: ['Keys.Manage'],
    operations: ['auth_keys_create', 'auth_keys_list', 'auth_keys_delete'],
  },
  {
    permission: 'audit:read',
    granted: ['admin', 'auditor'],
    scopes: ['Audit.Read'],
    operations: ['audit_trail', 'audit_trail_verify', 'audit_decisions_list'],
  },
  {
    permission: 'audit:write',
    granted: ['admin', 'operator', 'app', 'agent'],
    scopes: ['Governance.ReadWrite'],
    operations: ['audit_decisions_create'],
  },
  {
    permission: 'knowledge:read',
    granted: ['admin', 'operator', 'app', 'agent', 'auditor', 'reader'],
    scopes: ['Kernel.Read', 'Knowledge.ReadWrite'],
    operations: ['knowledge_documents_search', 'knowledge_documents_get'],
  },
  {
    permission: 'knowledge:write',
    granted: ['admin', 'operator', 'app', 'agent'],
    scopes: ['Knowledge.ReadWrite'],
    operations: ['knowledge_documents_create', 'knowledge_documents_update', 'knowledge_documents_delete'],
  },
  {
    permission: 'risks:read',
    granted: ['admin', 'operator', 'app', 'agent', 'auditor', 'reader'],
    scopes: ['Kernel.Read', 'Governance.ReadWrite'],
    operations: ['risks_list'],
  },
  {
    permission: 'risks:write',
    granted: ['admin', 'operator', 'app', 'agent'],
    scopes: ['Governance.ReadWrite'],
    operations: ['risks_create', 'risks_assess', 'risks_status', 'risks_mitigate'],
  },
  {
    permission: 'covenants:read',
    granted: ['admin', 'operator', 'app', 'agent', 'auditor', 'reader'],
    scopes: ['Kernel.Read', 'Governance.ReadWrite'],
    operations: ['covenants_list', 'covenants_validate'],
  },
  {
    permission: 'covenants:write',
    granted: ['admin', 'operator', 'app'],
    scopes: ['Governance.ReadWrite'],
    operations: ['covenants_create', 'covenants_sign'],
  },
  {
    permission: 'analytics:read',
    granted: ['admin', 'operator', 'app', 'auditor', 'reader'],
    scopes: ['Kernel.Read', 'Analytics.ReadWrite'],
    operations: ['metrics_query', 'kpis_dashboard'],
  },
  {
    permission: 'analytics:write',
    granted: ['admin', 'operator', 'app', 'agent'],
    scopes: ['Analytics.ReadWrite'],
    operations: ['metrics_record', 'kpis_create'],
  },
  {
    permission: 'mcp:read',
    granted: ['admin', 'operator', 'app', 'agent', 'auditor', 'reader'],
    scopes: ['Kernel.Read', 'Mcp.Invoke'],
    operations: ['mcp_servers_list', 'mcp_server_status'],
  },
  {
    permission: 'mcp:invoke',
    granted: ['admin', 'operator', 'app', 'agent'],
    scopes: ['Mcp.Invoke'],
    operations: ['mcp_tool_call'],
  },
] as const satisfies readonly PermissionRow[];

export type Permission = (typeof permissionTable)[number]['permission'];
/** Every operation the table knows: protected ones and public ones. */
export type OperationName = (typeof permissionTable)[number]['operations'][number] | PublicOperation;

type Row = PermissionRow & { readonly permission: Permission };
const rows: readonly Row[] = permissionTable;

export const permissions: readonly Permission[] = rows.map((row) => row.permission);

const authenticatedPermissions: readonly Permission[] = rows
  .filter((row) => row.granted === 'authenticated')
  .map((row) => row.permission);

const byRole = new Map<string, ReadonlySet<Permission>>(
  roles.map((role) => [
    role,
    new Set(
      rows
        .filter((row) => row.granted !== 'authenticated' && row.granted.includes(role))
        .map((row) => row.permission),
    ),
  ]),
);

const byScope = new Map<string, ReadonlySet<Permission>>(
  scopes.map((scope) => [
    scope,
    new Set(
      scope === fullAccessScope
        ? permissions
        : rows.filter((row) => row.scopes.includes(scope)).map((row) => row.permission),
    ),
  ]),
);

const byOperation = new Map<string, Permission | null>([
  ...publicOperations.map((operation): [string, null] => [operation, null]),
  ...rows.flatMap((row) =>
    row.operations.map((operation): [string, Permission] => [operation, row.permission]),
  ),
]);

/** Every operation name the table knows, public ones included. */
export const operationNames: readonly OperationName[] = [...byOperation.keys()] as OperationName[];

/** What one role grants. */
export function permissionsOfRole(role: Role): readonly Permission[] {
  return [...(byRole.get(role) ?? [])];
}

/** What one scope allows. */
export function permissionsOfScope(scope: Scope): readonly Permission[] {
  return [...(byScope.get(scope) ?? [])];
}

function union(
  keys: readonly string[],
  table: ReadonlyMap<string, ReadonlySet<Permission>>,
): Set<Permission> {
  const result = new Set<Permission>();
  for (const key of keys) for (const permission of table.get(key) ?? []) result.add(permission);
  return result;
}

/** Everything the principal may do. Unknown roles and scopes grant nothing. */
export function permissionsOf(principal: Principal): ReadonlySet<Permission> {
  const granted = union(principal.roles, byRole);
  if (principal.scopes.length > 0) {
    const allowed = union(principal.scopes, byScope);
    for (const permission of granted) if (!allowed.has(permission)) granted.delete(permission);
  }
  for (const permission of authenticatedPermissions) granted.add(permission);
  return granted;
}

export function hasPermission(principal: Principal, permission: Permission): boolean {
  return permissionsOf(principal).has(permission);
}

/**
 * Throws 403 unless the principal holds the permission. The answer names the
 * permission that is missing, never the principal's roles: the caller learns
 * what to ask for, not how the kernel sees it.
 */
export function authorize(principal: Principal, permission: Permission): void {
  if (hasPermission(principal, permission)) return;
  throw new KernelError('forbidden', 'Forbidden', {
    detail: `This operation needs the permission '${permission}'.`,
    extensions: { missing_permission: permission },
  });
}

/** The permission an operation needs, or null for a public one. */
export function permissionFor(operation: OperationName): Permission | null {
  const permission = byOperation.get(operation);
  if (permission === undefined) {
    // Only reachable through a cast: OperationName is the table's own keys.
    throw new KernelError('internal', 'Unknown operation', {
      detail: `'${operation}' is not in the permission table.`,
    });
  }
  return permission;
}

/**
 * The check a route makes before anything else: public operations pass; the rest
 * need a principal (401 without one) holding the operation's permission (403).
 */
export function authorizeOperation(principal: Principal | undefined, operation: OperationName): void {
  const permission = permissionFor(operation);
  if (permission === null) return;
  if (principal === undefined) {
    throw new KernelError('unauthorized', 'Unauthorized', {
      detail: 'This operation needs an Entra ID access token or an API key.',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  authorize(principal, permission);
}

function markdownTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  // Padded the way Prettier pads Markdown tables, so formatting the docs leaves the table alone.
  const widths = header.map((cell, column) =>
    Math.max(3, cell.length, ...body.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
}

/** The permission table as Markdown, for docs/security.md. */
export function permissionTableMarkdown(): string {
  const code = (value: string) => `\`${value}\``;
  const header = ['Permission', ...roles, 'Scopes', 'Operations'];
  const body = rows.map((row) => [
    code(row.permission),
    ...roles.map((role) => (row.granted === 'authenticated' || row.granted.includes(role) ? 'yes' : '')),
    row.granted === 'authenticated' ? 'any' : row.scopes.map(code).join(', '),
    row.operations.map(code).join(', '),
  ]);
  body.push(['(none)', ...roles.map(() => ''), 'no credentials', publicOperations.map(code).join(', ')]);
  return markdownTable(header, body);
}
