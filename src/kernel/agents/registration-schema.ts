import { z } from 'zod';
import type { ExtensionRegistry } from '../extensions';
import type { AgentRecord, RetryPolicy, TransportConfig } from './types';

/**
 * The agent registration body (contract.md, Agents) and the stored record's shape.
 * The `transport` object is checked by the schema its type registered in the
 * extension registry, so a deployment's own transports validate like the kernel's.
 */

export const agentIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

export const agentIdSchema = z
  .string()
  .regex(agentIdPattern, 'must be 1 to 128 letters, digits, dots, underscores, colons or hyphens');

export const defaultRetryPolicy: RetryPolicy = { max_attempts: 3, backoff_ms: 500, backoff_coefficient: 2 };

export const retryPolicySchema = z.strictObject({
  max_attempts: z.int().min(1).max(10).default(defaultRetryPolicy.max_attempts),
  backoff_ms: z.int().min(0).max(60_000).default(defaultRetryPolicy.backoff_ms),
  backoff_coefficient: z
    .number()
    .min(1)
    .max(10)
    .default(defaultRetryPolicy.backoff_coefficient ?? 2),
});

/** How long the kernel waits for one call, in seconds; fractions allowed. */
export const timeoutSecondsSchema = z.number().positive().max(600);

/** A transport object as given at registration: `type` plus its own settings (secrets in clear). */
export type TransportRegistration = { readonly type: string } & Readonly<Record<string, unknown>>;

const nonBlank = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => value.trim() !== '', 'must not be blank');

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `transport` field: dispatches on `type` to the schema the registry holds for it. */
export function transportRegistrationSchema(extensions: ExtensionRegistry) {
  return z.unknown().transform((value, ctx): TransportRegistration => {
    if (!isPlainObject(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be an object with a "type"', input: value });
      return z.NEVER;
    }
    const type = value['type'];
    if (typeof type !== 'string' || type === '') {
      ctx.addIssue({
        code: 'custom',
        message: `is required; one of: ${extensions.transportTypes().join(', ')}`,
        path: ['type'],
        input: type,
      });
      return z.NEVER;
    }
    const definition = extensions.transportDefinition(type);
    if (definition === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown transport type '${type.slice(0, 64)}'; registered types: ${extensions.transportTypes().join(', ')}`,
        path: ['type'],
        input: type,
      });
      return z.NEVER;
    }
    const parsed = definition.schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: undefined });
      }
      return z.NEVER;
    }
    if (!isPlainObject(parsed.data)) {
      ctx.addIssue({
        code: 'custom',
        message: `the '${type}' transport schema must produce an object`,
        input: value,
      });
      return z.NEVER;
    }
    return { ...parsed.data, type };
  });
}

/** The registration body. Unknown top-level fields are dropped, never stored. */
export function agentRegistrationSchema(extensions: ExtensionRegistry) {
  return z
    .object({
      agent_id: agentIdSchema,
      purpose: nonBlank(4_000),
      name: nonBlank(256).optional(),
      agent_type: nonBlank(128).optional(),
      adapter_name: z.string().max(256).optional(),
      capabilities: z.array(z.string().min(1).max(256)).max(100).optional(),
      model: z.string().max(256).nullable().optional(),
      tools: z.array(z.unknown()).max(200).optional(),
      config: z.record(z.string(), z.unknown()).optional(),
      metadata: z.record(z.string(), z.unknown()).optional(),
      transport: transportRegistrationSchema(extensions).nullable().optional(),
      retry: retryPolicySchema.optional(),
    })
    .superRefine((body, ctx) => {
      // A builtin agent may check the config of the agents that use it.
      if (body.transport?.type !== 'builtin') return;
      const name = body.transport['name'];
      const builtin = typeof name === 'string' ? extensions.builtinAgents.get(name) : undefined;
      if (builtin?.configSchema === undefined) return;
      const parsed = builtin.configSchema.safeParse(body.config ?? {});
      if (parsed.success) return;
      for (const issue of parsed.error.issues) {
        ctx.addIssue({
          code: 'custom',
          message: `${issue.message} (builtin '${builtin.name}')`,
          path: ['config', ...issue.path],
          input: undefined,
        });
      }
    });
}

export type AgentRegistration = z.output<ReturnType<typeof agentRegistrationSchema>>;

const secretReferenceSchema = z.strictObject({ secret_ref: z.string().min(1) });

/** The stored record, as adapters read it back: anything else in storage is corruption. */
export const agentRecordSchema: z.ZodType<AgentRecord> = z.object({
  agent_id: agentIdSchema,
  agent_type: z.string(),
  name: z.string(),
  purpose: z.string(),
  adapter_name: z.string(),
  capabilities: z.array(z.string()),
  model: z.string().nullable(),
  tools: z.array(z.unknown()),
  config: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  registered_at: z.string(),
  updated_at: z.string(),
  transport: z
    .looseObject({ type: z.string() })
    .transform((value) => value as TransportConfig)
    .nullable(),
  retry: z
    .object({
      max_attempts: z.int().min(1),
      backoff_ms: z.number().min(0),
      backoff_coefficient: z.number().min(1).optional(),
    })
    .transform(({ backoff_coefficient, ...rest }): RetryPolicy =>
      backoff_coefficient === undefined ? rest : { ...rest, backoff_coefficient },
    ),
  app_id: z.string().nullable(),
});

export { secretReferenceSchema };
