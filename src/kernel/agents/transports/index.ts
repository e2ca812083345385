/**
 * Transports: the ways the kernel reaches agents (http, builtin, servicebus; mcp
 * declared) and the builtin agents. Each turns one AgentTask into a reply or
 * `accepted`, and reports failures as TransportError. Must not import Azure SDKs:
 * brokers sit behind ports (AgentMessageSender), and http uses the global fetch.
 */
export { HttpTransport, httpTransportSchema, agentReplySchema, parseRetryAfter } from './http-transport';
export type { HttpTransportOptions } from './http-transport';
export { BuiltinTransport, builtinTransportSchema } from './builtin-transport';
export {
  echoAgent,
  routerAgent,
  summariserAgent,
  coreBuiltinAgents,
  routerConfigSchema,
  summariserConfigSchema,
  inputText,
  firstSentence,
} from './builtin-agents';
export { ServiceBusTransport, serviceBusTransportSchema } from './servicebus-transport';
export type { AgentMessageSender, SendTaskOptions } from './servicebus-transport';
export { registerCoreTransports, createKernelExtensionRegistry, mcpTransportSchema } from './core-transports';
export type { CoreTransportOptions } from './core-transports';
