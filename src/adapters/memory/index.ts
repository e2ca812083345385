/**
 * Memory adapters: every port implemented in process memory, for unit tests and
 * the embedded default. Must hold no kernel decisions and import no Azure SDK;
 * nothing here survives the process.
 */
export { MemoryAgentRegistry } from './memory-agent-registry';
export { MemorySecretStore } from './memory-secret-store';
export { MemoryAuditSink } from './memory-audit-sink';
export { MemoryAgentMessageSender } from './memory-agent-message-sender';
export type { SentTask } from './memory-agent-message-sender';
export { MemoryOrchestrationStore } from './memory-orchestration-store';
export { MemoryTranscriptStore } from './memory-transcript-store';
export { MemoryApiKeyStore } from './api-key-store';
export { MemoryAuditStore } from './audit-store';
