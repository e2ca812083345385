/**
 * The one declaration of every Azure resource name the kernel uses: Service Bus
 * queues, topics and subscriptions, storage tables and blob containers. Infra
 * (Bicep), the local runtime and the code all read these; a test fails when the
 * Bicep disagrees.
 */

export const serviceBusNames = {
  /** Client apps post orchestration requests here (contract.md, Service Bus). */
  orchestrationRequestsQueue: 'aos-orchestration-requests',
  /** The kernel publishes orchestration results here; one subscription per registered app. */
  orchestrationResultsTopic: 'aos-orchestration-results',
} as const;

/** Per-queue settings the code expects of the broker; infra provisions exactly these. */
export const serviceBusQueueSettings = {
  maxDeliveryCount: 10,
  lockDurationIso: 'PT1M',
  defaultMessageTimeToLiveIso: 'P14D',
  deadLetteringOnMessageExpiration: true,
  requiresDuplicateDetection: true,
  duplicateDetectionHistoryTimeWindowIso: 'PT10M',
} as const;

/** The storage names the kernel's own adapters use (agents/storage-names.ts has the agent tables). */
export const storageResourceNames = {
  orchestrationsTable: 'orchestrations',
  transcriptsContainer: 'transcripts',
  /** The tamper-evident audit trail (TableAuditStore). */
  auditTable: 'audit',
} as const;

export const storageNames = {
  tables: [
    /** Agent records (agents/storage-names.ts, TableAgentRegistry). */
    'agents',
    /** Secret values until Key Vault arrives (TableSecretStore); local runs use it against Azurite. */
    'secrets',
    /** Orchestration records: request fingerprint, app, stop flag (TableOrchestrationStore). */
    storageResourceNames.orchestrationsTable,
    /** API key records: salted hashes, never secrets (TableApiKeyStore). */
    'apikeys',
    /** The audit trail: hash-chained entries and their head (TableAuditStore). */
    storageResourceNames.auditTable,
  ] as readonly string[],
  /** Collaborative transcripts (BlobTranscriptStore). */
  containers: [storageResourceNames.transcriptsContainer] as readonly string[],
} as const;
