/**
 * The tamper-evident audit trail: hash-chained entries (chain.ts), the store port,
 * the AuditTrail service, and the kernel's event builders.
 */
export { AuditTrail } from './audit-trail';
export { checkpointEventType, suppressedEventType } from './audit-trail';
export type { AuditCheckpoint, AuditTrailOptions, RecordOptions } from './audit-trail';
export {
  ChainVerifier,
  canonicalJson,
  entryHash,
  genesisHash,
  sealEntries,
  sealEntry,
  verifyChain,
} from './chain';
export type { ChainBreak, ChainVerification } from './chain';
export {
  accessRefusalEvent,
  agentCallEvent,
  apiKeyCreatedEvent,
  apiKeyRevokedEvent,
  auditEventTypes,
} from './events';
export { maxAuditBatch } from './ports';
export type { AuditStore } from './ports';
export { redactContext, redacted } from './redact';
export {
  auditSeverities,
  auditTrailQuerySchema,
  auditVerifyQuerySchema,
  defaultAuditQueryLimit,
  maxAuditQueryLimit,
} from './types';
export type {
  AuditContext,
  AuditEntry,
  AuditEvent,
  AuditQuery,
  AuditSeverity,
  AuditTrailQuery,
  AuditValue,
  AuditVerifyQuery,
  ChainHead,
} from './types';
