import { TableClient } from '@azure/data-tables';
import type { StorageConnection } from '../../kernel/config';
import { KernelError } from '../../kernel/errors';
import { credentialFor } from './storage-clients';

/**
 * Table clients for the agent registry and the secret store: one table each,
 * named in resource-names (infra provisions them) and created if missing, so the
 * local runtime and tests against Azurite need no provisioning.
 */

export interface AgentTableOptions {
  readonly connection: StorageConnection;
  /** Prepended to the table name (tests use a unique prefix per run). Letters and digits. */
  readonly tablePrefix?: string;
  /** Overrides the table name entirely. */
  readonly tableName?: string;
}

const tableNamePattern = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

export function agentTableName(base: string, options: AgentTableOptions): string {
  const name = options.tableName ?? `${options.tablePrefix ?? ''}${base}`;
  if (!tableNamePattern.test(name)) {
    throw new KernelError('internal', 'Invalid table name', {
      detail: `'${name}' must be 3-63 letters and digits, starting with a letter.`,
    });
  }
  return name;
}

export async function openAgentTable(base: string, options: AgentTableOptions): Promise<TableClient> {
  const tableName = agentTableName(base, options);
  const { connection } = options;
  const retryOptions = { maxRetries: 3 };
  const client =
    connection.kind === 'connectionString'
      ? TableClient.fromConnectionString(connection.connectionString, tableName, {
          allowInsecureConnection: connection.insecure,
          retryOptions,
        })
      : new TableClient(connection.tableEndpoint, tableName, credentialFor(connection.clientId), {
          retryOptions,
        });
  // createTable ignores "already exists".
  await client.createTable();
  return client;
}

/** Whether a Table SDK error says the entity (or table) is not there. */
export function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: unknown } | null)?.statusCode === 404;
}
