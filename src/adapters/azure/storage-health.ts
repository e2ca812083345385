import type { StorageConnection } from '../../kernel/config';
import type { HealthCheck } from '../../kernel/health';
import { createBlobServiceClient, createTableServiceClient } from './storage-clients';

/**
 * Health checks that make a real call to Blob and Table storage: reading the
 * service properties needs a reachable endpoint and valid credentials, and
 * touches no data.
 */
export function createStorageHealthChecks(connection: StorageConnection): HealthCheck[] {
  const blob = createBlobServiceClient(connection, { maxTries: 1 });
  const table = createTableServiceClient(connection, { maxTries: 1 });
  return [
    {
      name: 'storage_blob',
      required: true,
      async check(signal) {
        await blob.getProperties({ abortSignal: signal });
        return { status: 'ok', detail: 'blob service answered' };
      },
    },
    {
      name: 'storage_table',
      required: true,
      async check(signal) {
        await table.getProperties({ abortSignal: signal });
        return { status: 'ok', detail: 'table service answered' };
      },
    },
  ];
}
