import { z } from 'zod';
import type { WorkflowKind } from './types';

/**
 * The orchestration request (contract.md, "Orchestrations"): the POST body a client
 * sends to start an orchestration. The schema accepts what the Python SDK sends
 * (pydantic writes absent optionals as `null`) and normalises it, so everything past
 * this point sees one shape: purpose always an object, defaults filled in.
 *
 * Unknown top-level members are dropped rather than rejected: old clients send
 * extra fields and the contract lets them.
 */

/** IDs the kernel accepts anywhere (design.md, "Wire conventions"). */
export const idPattern = /^[A-Za-z0-9._:-]{1,128}$/;

export const workflowKinds = [
  'sequential',
  'parallel',
  'hierarchical',
  'collaborative',
  'dag',
] as const satisfies readonly WorkflowKind[];

export const defaultPurposeScope = 'General orchestration scope';

/** More agents than this in one orchestration is a mistake, not a workload. */
export const maxAgentsPerOrchestration = 100;

export const maxCallbackUrlLength = 2048;

export interface OrchestrationPurpose {
  readonly purpose: string;
  readonly purpose_scope: string;
}

/** An MCP server an agent may use in this orchestration. Secret values are never echoed or logged. */
export interface McpServerConfig {
  readonly server_name: string;
  readonly secrets: Readonly<Record<string, string>>;
}

/** A validated, normalised orchestration request. */
export interface OrchestrationRequest {
  readonly orchestration_id?: string;
  readonly agent_ids: readonly string[];
  readonly workflow: WorkflowKind;
  readonly purpose: OrchestrationPurpose;
  readonly context: Readonly<Record<string, unknown>>;
  readonly config: Readonly<Record<string, unknown>>;
  readonly callback_url?: string;
  readonly mcp_servers: Readonly<Record<string, readonly McpServerConfig[]>>;
}

const nullAsAbsent = (value: unknown): unknown => (value === null ? undefined : value);

export const idSchema = z.string().regex(idPattern, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -');

const nonBlank = z.string().regex(/\S/, 'must not be empty');

const purposeSchema = z.union(
  [
    nonBlank,
    z.object({
      purpose: nonBlank,
      purpose_scope: z.preprocess(nullAsAbsent, nonBlank.default(defaultPurposeScope)),
    }),
  ],
  { error: 'must be a string or an object {purpose, purpose_scope?}' },
);

const jsonObject = z.record(z.string(), z.unknown(), { error: 'must be a JSON object' });

/**
 * A callback the kernel will POST to: absolute http(s) only, no credentials (they
 * would be logged and stored with the orchestration) and no fragment (never sent
 * to a server, so a fragment means the caller misunderstood the field).
 */
export function callbackUrlProblem(value: string): string | undefined {
  if (value.length > maxCallbackUrlLength) return `must be at most ${maxCallbackUrlLength} characters`;
  if (!URL.canParse(value)) return 'must be an absolute http or https URL';
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https';
  if (url.hostname === '') return 'must name a host';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (value.includes('#')) return 'must not have a fragment';
  return undefined;
}

const callbackUrlSchema = z.string().superRefine((value, ctx) => {
  const problem = callbackUrlProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const mcpServerSchema = z.strictObject({
  server_name: z.string().min(1, 'must not be empty').max(256),
  secrets: z.preprocess(
    nullAsAbsent,
    z
      .record(z.string().min(1, 'secret names must not be empty'), z.string('secret values must be strings'))
      .default({}),
  ),
});

const requestShape = z.object({
  orchestration_id: z.preprocess(nullAsAbsent, idSchema.optional()),
  agent_ids: z
    .array(idSchema, { error: 'must be an array of agent ids' })
    .min(1, 'must name at least one agent')
    .max(maxAgentsPerOrchestration, `must name at most ${maxAgentsPerOrchestration} agents`),
  workflow: z.preprocess(
    nullAsAbsent,
    z.enum(workflowKinds, { error: `must be one of ${workflowKinds.join(', ')}` }).default('collaborative'),
  ),
  purpose: purposeSchema,
  context: z.preprocess(nullAsAbsent, jsonObject.default({})),
  config: z.preprocess(nullAsAbsent, jsonObject.default({})),
  callback_url: z.preprocess(nullAsAbsent, callbackUrlSchema.optional()),
  mcp_servers: z.preprocess(
    nullAsAbsent,
    z.record(idSchema, z.array(mcpServerSchema, { error: 'must be an array of MCP servers' })).default({}),
  ),
});

type RequestShape = z.output<typeof requestShape>;

function crossFieldChecks(value: RequestShape, ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  value.agent_ids.forEach((id, index) => {
    const first = seen.get(id);
    if (first === undefined) seen.set(id, index);
    else ctx.addIssue({ code: 'custom', path: ['agent_ids', index], message: `repeats agent_ids.${first}` });
  });
  for (const [agentId, servers] of Object.entries(value.mcp_servers)) {
    if (!seen.has(agentId)) {
      ctx.addIssue({ code: 'custom', path: ['mcp_servers', agentId], message: 'is not one of agent_ids' });
    }
    const names = new Set<string>();
    servers.forEach((server, index) => {
      if (names.has(server.server_name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['mcp_servers', agentId, index, 'server_name'],
          message: 'names a server listed twice for this agent',
        });
      }
      names.add(server.server_name);
    });
  }
}

function normalise(value: RequestShape): OrchestrationRequest {
  const purpose =
    typeof value.purpose === 'string'
      ? { purpose: value.purpose, purpose_scope: defaultPurposeScope }
      : { purpose: value.purpose.purpose, purpose_scope: value.purpose.purpose_scope };
  return {
    ...(value.orchestration_id === undefined ? {} : { orchestration_id: value.orchestration_id }),
    agent_ids: value.agent_ids,
    workflow: value.workflow,
    purpose,
    context: value.context,
    config: value.config,
    ...(value.callback_url === undefined ? {} : { callback_url: value.callback_url }),
    mcp_servers: value.mcp_servers,
  };
}

/**
 * The POST body schema. Its output is an OrchestrationRequest; feed failures to
 * `validationError(error, 'body')`. Workflow-specific `config` is checked later by
 * `buildPlan`, which reports its faults with the same field-path convention.
 */
export const orchestrationRequestSchema: z.ZodType<OrchestrationRequest, unknown> = requestShape
  .superRefine(crossFieldChecks)
  .transform(normalise);

export interface FingerprintOptions {
  /**
   * Digest of a secret value (e.g. an HMAC supplied by the caller). Without it the
   * fingerprint covers secret names only, so a retry that changes only a secret's
   * value counts as the same request.
   */
  readonly secretDigest?: (value: string) => string;
}

/**
 * A stable canonical form of a request for idempotency: same request, same string,
 * whatever the key order or defaulted fields; any change in content, a different
 * string. The orchestration id is the lookup key, not content, so it is left out.
 * Secret values never appear: only their names, or a caller-supplied digest.
 */
export function requestFingerprint(request: OrchestrationRequest, options: FingerprintOptions = {}): string {
  const digest = options.secretDigest;
  const mcpServers: Record<string, unknown> = {};
  for (const [agentId, servers] of Object.entries(request.mcp_servers)) {
    mcpServers[agentId] = servers.map((server) => ({
      server_name: server.server_name,
      secrets:
        digest === undefined
          ? Object.keys(server.secrets).sort()
          : Object.fromEntries(Object.entries(server.secrets).map(([name, value]) => [name, digest(value)])),
    }));
  }
  return canonicalJson({
    agent_ids: request.agent_ids,
    workflow: request.workflow,
    purpose: request.purpose,
    context: request.context,
    config: request.config,
    callback_url: request.callback_url ?? null,
    mcp_servers: mcpServers,
  });
}

/**
 * JSON with object keys sorted (by UTF-16 code units, locale-independent) at every
 * level. Arrays keep their order: order is meaning there (agent_ids, steps).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
