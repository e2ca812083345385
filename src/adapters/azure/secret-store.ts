import type { TableClient } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import type { SecretStore } from '../../kernel/agents';
import { agentStorageNames, assertSecretName, secretNameMatches } from '../../kernel/agents';
import type { AgentTableOptions } from './agent-tables';
import { isNotFound, openAgentTable } from './agent-tables';

/**
 * Secrets in Azure Table storage: for local runs against Azurite, and a stopgap in
 * Azure. Azure deployments should keep secrets in Key Vault (a later issue brings
 * a Key Vault SecretStore); storage encrypts at rest, but anyone with table data
 * access can read these values.
 *
 * Layout: one partition `secret`; RowKey = the name percent-encoded (names hold
 * `/`, which keys cannot); Name and Value columns. delete(prefix) scans the
 * partition: the store holds a few secrets per agent, and is not a hot path.
 */

const partitionKey = 'secret';

/** Everything but A-Z a-z 0-9 - _ . ~ as %XX of its UTF-8 bytes: legal, unique and reversible. */
export function encodeSecretKey(name: string): string {
  return encodeURIComponent(name).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export class TableSecretStore implements SecretStore {
  private constructor(readonly client: TableClient) {}

  /** Opens (and creates if missing) the `secrets` table, or a prefixed one. */
  static async create(options: AgentTableOptions): Promise<TableSecretStore> {
    return new TableSecretStore(await openAgentTable(agentStorageNames.secretsTable, options));
  }

  get tableName(): string {
    return this.client.tableName;
  }

  async put(name: string, value: string): Promise<void> {
    assertSecretName(name);
    await this.client.upsertEntity(
      { partitionKey, rowKey: encodeSecretKey(name), Name: name, Value: value },
      'Replace',
    );
  }

  async get(name: string): Promise<string | undefined> {
    try {
      const row = await this.client.getEntity<{ Value?: unknown }>(partitionKey, encodeSecretKey(name));
      return typeof row.Value === 'string' ? row.Value : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(prefix: string): Promise<number> {
    assertSecretName(prefix, 'secret prefix');
    let deleted = 0;
    for await (const row of this.client.listEntities<{ Name?: unknown }>({
      queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` },
    })) {
      if (typeof row.Name !== 'string' || !secretNameMatches(row.Name, prefix) || row.rowKey === undefined)
        continue;
      try {
        await this.client.deleteEntity(partitionKey, row.rowKey);
        deleted += 1;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return deleted;
  }

  /** Drops the table (tests). */
  async deleteTable(): Promise<void> {
    await this.client.deleteTable();
  }
}
