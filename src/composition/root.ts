import { createHash, createHmac, randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { createStorageHealthChecks } from '../adapters/azure';
import { TableAgentRegistry } from '../adapters/azure/agent-registry';
import { BlobTranscriptStore } from '../adapters/azure/blob-transcript-store';
import { TableSecretStore } from '../adapters/azure/secret-store';
import { credentialFor } from '../adapters/azure/storage-clients';
import { TableOrchestrationStore } from '../adapters/azure/table-orchestration-store';
import { AgentService } from '../kernel/agents';
import { createKernelExtensionRegistry } from '../kernel/agents/transports';
import type { KernelConfig, StorageConnection } from '../kernel/config';
import { loadConfig, storageResourceNames } from '../kernel/config';
import { AgentExecutor } from '../kernel/executor';
import type { ExtensionRegistry } from '../kernel/extensions';
import { loadExtensionPackages } from '../kernel/extensions';
import { HealthService } from '../kernel/health';
import type { OrchestrationStore } from '../kernel/orchestrations';
import { OrchestrationService } from '../kernel/orchestrations';
import type { TranscriptStore } from '../kernel/transcripts';
import { readPackageInfo } from './package-info';

/**
 * The one composition root: validated config in, kernel services out, built once
 * per process (cold start). Every function gets its services from here; nothing
 * else constructs adapters.
 */

export interface Kernel {
  readonly config: KernelConfig;
  readonly version: string;
  readonly health: HealthService;
}

/** Services that need storage set up first (tables, containers); built once, on first use. */
export interface Services {
  readonly extensions: ExtensionRegistry;
  readonly agents: AgentService;
  readonly executor: AgentExecutor;
  readonly orchestrationStore: OrchestrationStore;
  readonly transcripts: TranscriptStore;
  readonly orchestrations: OrchestrationService;
}

export function createKernel(config: KernelConfig): Kernel {
  const { version } = readPackageInfo();
  const health = new HealthService(createStorageHealthChecks(config.storage), {
    version,
    host: config.host,
    timeoutMs: config.healthTimeoutMs,
  });
  return { config, version, health };
}

function tableClient(connection: StorageConnection, table: string): TableClient {
  return connection.kind === 'connectionString'
    ? TableClient.fromConnectionString(connection.connectionString, table, {
        allowInsecureConnection: connection.insecure,
      })
    : new TableClient(connection.tableEndpoint, table, credentialFor(connection.clientId));
}

function blobService(connection: StorageConnection): BlobServiceClient {
  return connection.kind === 'connectionString'
    ? BlobServiceClient.fromConnectionString(connection.connectionString)
    : new BlobServiceClient(connection.blobEndpoint, credentialFor(connection.clientId));
}

export async function createServices(config: KernelConfig): Promise<Services> {
  const extensions = createKernelExtensionRegistry();
  await loadExtensionPackages(config.extensionPackages, extensions);
  const connection = config.storage;
  const [registry, secrets] = await Promise.all([
    TableAgentRegistry.create({ connection }),
    TableSecretStore.create({ connection }),
  ]);
  const agents = new AgentService({ registry, secrets, extensions });
  const executor = new AgentExecutor({ agents: registry, secrets, extensions });
  const orchestrationStore = new TableOrchestrationStore(
    tableClient(connection, storageResourceNames.orchestrationsTable),
  );
  const transcripts = new BlobTranscriptStore(
    blobService(connection).getContainerClient(storageResourceNames.transcriptsContainer),
  );
  const signingKey = config.callbackSigningSecret;
  const orchestrations = new OrchestrationService({
    store: orchestrationStore,
    agents,
    transcripts,
    callbacksEnabled: signingKey !== undefined,
    newId: () => randomUUID(),
    // Secret values enter the idempotency fingerprint only as keyed digests.
    secretDigest: (value) =>
      signingKey
        ? createHmac('sha256', signingKey).update(value).digest('hex')
        : createHash('sha256').update(`aos-fingerprint:${value}`).digest('hex'),
  });
  return { extensions, agents, executor, orchestrationStore, transcripts, orchestrations };
}

let kernel: Kernel | undefined;
let services: Promise<Services> | undefined;

/** The process's kernel; the first call parses config and throws ConfigError naming bad settings. */
export function getKernel(): Kernel {
  kernel ??= createKernel(loadConfig(process.env));
  return kernel;
}

/** The process's storage-backed services; a failed set-up is retried on the next call. */
export function getServices(): Promise<Services> {
  services ??= createServices(getKernel().config).catch((error: unknown) => {
    services = undefined;
    throw error;
  });
  return services;
}
