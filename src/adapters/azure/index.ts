/**
 * Azure adapters: the ports implemented with Azure SDKs (Storage, and later
 * Service Bus, Entra, App Insights). Used in Azure and against Azurite. Must not
 * hold kernel decisions; only translation to and from the SDKs.
 */
export { createBlobServiceClient, createTableServiceClient, credentialFor } from './storage-clients';
export { createStorageHealthChecks } from './storage-health';
export { TableAgentRegistry } from './agent-registry';
export { TableSecretStore } from './secret-store';
export { TableOrchestrationStore } from './table-orchestration-store';
export { BlobTranscriptStore } from './blob-transcript-store';
export { TableApiKeyStore } from './api-key-store';
