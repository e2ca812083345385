import { z } from 'zod';
import type { NamedRegistry } from '../../extensions';
import { timeoutSecondsSchema } from '../registration-schema';
import type { AgentTransport, BuiltinAgent, TransportCall, TransportResult } from '../types';
import { TransportError } from '../types';

/**
 * The `builtin` transport: runs an agent that lives in the kernel (or in an
 * extension package), found by name in the extension registry's builtin agents.
 */

export function builtinTransportSchema(builtins: NamedRegistry<BuiltinAgent>) {
  return z.strictObject({
    type: z.literal('builtin'),
    name: z.string().superRefine((name, ctx) => {
      if (!builtins.has(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `no builtin agent '${name.slice(0, 64)}' is registered; builtins: ${builtins.names().join(', ')}`,
          input: name,
        });
      }
    }),
    timeout_seconds: timeoutSecondsSchema.optional(),
  });
}

const replyShape = z.object({
  message: z.string(),
  output: z.unknown().optional(),
  route: z.string().optional(),
});

export class BuiltinTransport implements AgentTransport {
  readonly type = 'builtin';

  constructor(private readonly builtins: NamedRegistry<BuiltinAgent>) {}

  async invoke(call: TransportCall): Promise<TransportResult> {
    const name = (call.agent.transport as { name?: unknown } | null)?.name;
    const builtin = typeof name === 'string' ? this.builtins.get(name) : undefined;
    if (builtin === undefined) {
      throw new TransportError(
        `no builtin agent '${typeof name === 'string' ? name.slice(0, 64) : '?'}' is registered`,
        false,
        undefined,
        { code: 'unknown_builtin' },
      );
    }
    let reply: unknown;
    try {
      reply = await builtin.handle({ agent: call.agent, task: call.task, signal: call.signal });
    } catch (error) {
      if (error instanceof TransportError) throw error;
      throw new TransportError(
        `builtin agent '${builtin.name}' failed: ${error instanceof Error ? error.message : String(error)}`,
        false,
        undefined,
        { code: 'agent_error', cause: error },
      );
    }
    const checked = replyShape.safeParse(reply);
    if (!checked.success) {
      throw new TransportError(`builtin agent '${builtin.name}' returned no {message}`, false, undefined, {
        code: 'invalid_reply',
      });
    }
    const { message, output, route } = checked.data;
    return {
      kind: 'reply',
      reply: {
        message,
        ...(output === undefined ? {} : { output }),
        ...(route === undefined ? {} : { route }),
      },
    };
  }
}
