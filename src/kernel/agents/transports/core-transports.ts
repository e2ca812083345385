import { z } from 'zod';
import { ExtensionRegistry } from '../../extensions';
import { timeoutSecondsSchema } from '../registration-schema';
import type { BuiltinAgent } from '../types';
import { coreBuiltinAgents } from './builtin-agents';
import { BuiltinTransport, builtinTransportSchema } from './builtin-transport';
import type { HttpTransportOptions } from './http-transport';
import { HttpTransport, httpTransportSchema } from './http-transport';
import type { AgentMessageSender } from './servicebus-transport';
import { ServiceBusTransport, serviceBusTransportSchema } from './servicebus-transport';

/**
 * The kernel's own transports, registered in the extension registry exactly as an
 * extension package would register its own.
 */

const mcpName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be an MCP server or tool name');

/** `mcp` agents can register now; calls fail with no_transport until the MCP issue brings the client. */
export const mcpTransportSchema = z.strictObject({
  type: z.literal('mcp'),
  server: mcpName,
  tool: mcpName,
  timeout_seconds: timeoutSecondsSchema.optional(),
});

export interface CoreTransportOptions {
  readonly http?: HttpTransportOptions;
  /** Without a sender, servicebus agents can register but calls fail with no_transport. */
  readonly messageSender?: AgentMessageSender;
  /** Builtin agents to register (default: echo, router, summariser). */
  readonly builtinAgents?: readonly BuiltinAgent[];
}

export function registerCoreTransports(
  registry: ExtensionRegistry,
  options: CoreTransportOptions = {},
): ExtensionRegistry {
  for (const agent of options.builtinAgents ?? coreBuiltinAgents) registry.registerBuiltinAgent(agent);
  registry.registerTransport(new HttpTransport(options.http), httpTransportSchema, {
    secretFields: { headers: 'header' },
  });
  registry.registerTransport(
    new BuiltinTransport(registry.builtinAgents),
    builtinTransportSchema(registry.builtinAgents),
  );
  if (options.messageSender === undefined) {
    registry.registerTransportType('servicebus', serviceBusTransportSchema);
  } else {
    registry.registerTransport(new ServiceBusTransport(options.messageSender), serviceBusTransportSchema);
  }
  registry.registerTransportType('mcp', mcpTransportSchema);
  return registry;
}

/** A registry holding the kernel's transports and builtin agents; extension packages add to it. */
export function createKernelExtensionRegistry(options: CoreTransportOptions = {}): ExtensionRegistry {
  return registerCoreTransports(new ExtensionRegistry(), options);
}
