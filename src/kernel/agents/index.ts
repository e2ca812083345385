/**
 * Agents: registration (validation, idempotency, secrets kept as references), the
 * AgentRegistry and SecretStore ports, and the transports that reach agents
 * (routing tags are parsed by kernel/workflows). Must not import Azure SDKs or outer layers; storage is behind ports.
 */
export { TransportError, isTransportError } from './types';
export type {
  AgentRecord,
  AgentReply,
  AgentTask,
  AgentTransport,
  BuiltinAgent,
  BuiltinAgentCall,
  RetryPolicy,
  SecretReference,
  SecretResolver,
  TransportCall,
  TransportConfig,
  TransportErrorCode,
  TransportErrorOptions,
  TransportResult,
} from './types';
export type { AgentListFilter, AgentRegistry, SecretStore } from './ports';
export { AgentService, agentVisibleTo, defaultAgentType } from './agent-service';
export type { AgentServiceOptions, AgentWire, RegisterContext, RegisterResult } from './agent-service';
export {
  agentIdPattern,
  agentIdSchema,
  agentRecordSchema,
  agentRegistrationSchema,
  defaultRetryPolicy,
  retryPolicySchema,
  timeoutSecondsSchema,
  transportRegistrationSchema,
} from './registration-schema';
export type { AgentRegistration, TransportRegistration } from './registration-schema';
export {
  agentSecretName,
  agentSecretPrefix,
  assertSecretName,
  collectSecretReferences,
  createSecretResolver,
  isSecretReference,
  maskSecrets,
  maskedValue,
  secretNameMatches,
} from './secrets';
export { agentStorageNames } from './storage-names';
export {
  BuiltinTransport,
  HttpTransport,
  ServiceBusTransport,
  coreBuiltinAgents,
  createKernelExtensionRegistry,
  echoAgent,
  registerCoreTransports,
  routerAgent,
  summariserAgent,
} from './transports';
export type {
  AgentMessageSender,
  CoreTransportOptions,
  HttpTransportOptions,
  SendTaskOptions,
} from './transports';
