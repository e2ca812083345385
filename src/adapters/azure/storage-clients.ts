import { TableServiceClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { BlobServiceClient, StorageRetryPolicyType } from '@azure/storage-blob';
import type { StorageConnection } from '../../kernel/config';

/**
 * Builds Azure Storage clients from the kernel's parsed storage connection: a
 * connection string (Azurite locally) or a managed identity in Azure.
 */

export interface StorageClientOptions {
  /** Attempts per call; health probes use 1 so a dead endpoint answers fast. */
  readonly maxTries?: number;
}

export function credentialFor(clientId: string | undefined): TokenCredential {
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}

export function createBlobServiceClient(
  connection: StorageConnection,
  options: StorageClientOptions = {},
): BlobServiceClient {
  const retryOptions = {
    maxTries: options.maxTries ?? 4,
    retryPolicyType: StorageRetryPolicyType.EXPONENTIAL,
  };
  if (connection.kind === 'connectionString') {
    return BlobServiceClient.fromConnectionString(connection.connectionString, { retryOptions });
  }
  return new BlobServiceClient(connection.blobEndpoint, credentialFor(connection.clientId), { retryOptions });
}

export function createTableServiceClient(
  connection: StorageConnection,
  options: StorageClientOptions = {},
): TableServiceClient {
  const retryOptions = { maxRetries: Math.max(0, (options.maxTries ?? 4) - 1) };
  if (connection.kind === 'connectionString') {
    return TableServiceClient.fromConnectionString(connection.connectionString, {
      allowInsecureConnection: connection.insecure,
      retryOptions,
    });
  }
  return new TableServiceClient(connection.tableEndpoint, credentialFor(connection.clientId), {
    retryOptions,
  });
}
