import { createHash, createHmac, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { createStorageHealthChecks } from '../adapters/azure';
import { TableAgentRegistry } from '../adapters/azure/agent-registry';
import { TableApiKeyStore } from '../adapters/azure/api-key-store';
import { TableAuditStore } from '../adapters/azure/audit-store';
import { BlobTranscriptStore } from '../adapters/azure/blob-transcript-store';
import { TableSecretStore } from '../adapters/azure/secret-store';
import { credentialFor } from '../adapters/azure/storage-clients';
import { TableOrchestrationStore } from '../adapters/azure/table-orchestration-store';
import { AgentService } from '../kernel/agents';
import { AuditTrail } from '../kernel/audit';
import { Authenticator } from '../kernel/auth';
import { ApiKeyService, RateLimiter } from '../kernel/auth/access';
import type { BearerTokenValidator, TokenValidator } from '../kernel/auth/tokens';
import {
  LocalIssuer,
  TokenValidator as EntraTokenValidator,
  cachingTokenValidator,
  combineTokenValidators,
  parseLocalIssuerKeyFile,
} from '../kernel/auth/tokens';
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
  readonly authenticator: Authenticator;
  readonly audit: AuditTrail;
  readonly apiKeys: ApiKeyService;
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
    cacheMs: config.healthCacheMs,
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

/**
 * Bearer tokens the kernel accepts: Entra ID from the configured issuers, and
 * locally the local issuer whose key `aos start` / `aos host` keep under .aos/.
 */
async function bearerValidator(config: KernelConfig): Promise<BearerTokenValidator | undefined> {
  const validators: TokenValidator[] = [];
  if (config.auth.issuers.length > 0) {
    validators.push(
      new EntraTokenValidator({ issuers: [...config.auth.issuers], audiences: [...config.auth.audiences] }),
    );
  }
  if (config.auth.localIssuer) {
    const root = process.env['AzureWebJobsScriptRoot'] ?? process.cwd();
    try {
      const key = parseLocalIssuerKeyFile(
        await readFile(path.join(root, '.aos', 'local-issuer.json'), 'utf8'),
      );
      validators.push((await LocalIssuer.fromKey(key)).validator());
    } catch {
      // No local key yet: `aos token` or `aos start` creates it; until then only Entra and API keys work.
    }
  }
  // Validated tokens are remembered for a few minutes (never past exp): see token-cache.ts.
  return validators.length === 0 ? undefined : cachingTokenValidator(combineTokenValidators(validators));
}

/**
 * Failures of background bookkeeping (audit writes) that must not fail the request
 * they happen in. The Node worker forwards stderr to the host's log, in Azure and
 * locally. Only the error's message: never a record's context.
 */
function reportBackground(what: string, error: unknown): void {
  // eslint-disable-next-line no-console -- no invocation context here; the worker captures stderr.
  console.error(`${what}: ${error instanceof Error ? error.message : String(error)}`);
}

export async function createServices(config: KernelConfig): Promise<Services> {
  const extensions = createKernelExtensionRegistry();
  await loadExtensionPackages(config.extensionPackages, extensions);
  const connection = config.storage;
  const [registry, secrets, auditStore] = await Promise.all([
    TableAgentRegistry.create({ connection }),
    TableSecretStore.create({ connection }),
    TableAuditStore.create({ connection }),
  ]);
  const audit = new AuditTrail({
    store: auditStore,
    newId: () => randomUUID(),
    // The event's type and subject only: a context may be what failed to be written.
    onError: (error, event) => reportBackground(`audit: could not record ${event.event_type}`, error),
  });
  const agents = new AgentService({ registry, secrets, extensions });
  const executor = new AgentExecutor({
    agents: registry,
    secrets,
    extensions,
    audit: audit.executorSink(),
    onAuditError: (error) => reportBackground('audit: could not record agent.call', error),
  });
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
  const apiKeys = new ApiKeyService({ store: await TableApiKeyStore.create({ connection }) });
  const authenticator = new Authenticator({
    bearer: await bearerValidator(config),
    apiKeys,
    limiter: new RateLimiter({
      capacity: config.auth.rateLimit.capacity,
      refill_per_second: config.auth.rateLimit.refillPerSecond,
    }),
    trustClientPrincipal: config.auth.trustClientPrincipal,
    clientPrincipalIssuers: config.auth.issuers,
  });
  return {
    authenticator,
    audit,
    apiKeys,
    extensions,
    agents,
    executor,
    orchestrationStore,
    transcripts,
    orchestrations,
  };
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
