import type { TableClient, TableEntity } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import type { ApiKeyListFilter, ApiKeyStore, StoredApiKey } from '../../kernel/auth/access';
import { apiKeyStorageNames, roles } from '../../kernel/auth/access';
import { KernelError } from '../../kernel/errors';
import type { AgentTableOptions } from './agent-tables';
import { isNotFound, openAgentTable } from './agent-tables';

/**
 * API keys in Azure Table storage (Azurite locally).
 *
 * Layout: one partition `apikey`, RowKey = key_id (hex). One column per field so
 * revoking and the last-used write are Merge updates of a single column: neither
 * can undo the other. Null is stored as '' (tables cannot filter on a missing
 * property, and list filters on AppId). Rows hold the salted hash, never a secret.
 */

const partitionKey = 'apikey';

export type ApiKeyTableOptions = AgentTableOptions;

const nullable = z.string().transform((value) => (value === '' ? null : value));

const rowSchema = z.object({
  rowKey: z.string(),
  Name: z.string(),
  Roles: z.string(),
  AppId: nullable,
  CreatedAt: z.string(),
  CreatedBy: z.string(),
  ExpiresAt: nullable,
  RevokedAt: nullable,
  LastUsedAt: nullable,
  HashAlgorithm: z.literal('hmac-sha256'),
  Salt: z.string(),
  SecretHash: z.string(),
});

const rolesSchema = z.array(z.enum(roles));
/** Key ids the service makes are hex; anything a RowKey cannot hold is simply not there. */
const rowKeyPattern = /^[A-Za-z0-9_-]{1,128}$/;

function toRow(key: StoredApiKey): TableEntity<Record<string, string>> {
  return {
    partitionKey,
    rowKey: key.key_id,
    Name: key.name,
    Roles: JSON.stringify(key.roles),
    AppId: key.app_id ?? '',
    CreatedAt: key.created_at,
    CreatedBy: key.created_by,
    ExpiresAt: key.expires_at ?? '',
    RevokedAt: key.revoked_at ?? '',
    LastUsedAt: key.last_used_at ?? '',
    HashAlgorithm: key.hash_algorithm,
    Salt: key.salt,
    SecretHash: key.secret_hash,
  };
}

function parseRoles(text: string) {
  try {
    return rolesSchema.safeParse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function fromRow(row: unknown): StoredApiKey {
  const parsed = rowSchema.safeParse(row);
  const keyRoles = parsed.success ? parseRoles(parsed.data.Roles) : undefined;
  if (!parsed.success || keyRoles?.success !== true) {
    throw new KernelError('internal', 'Corrupt API key row', {
      detail: 'A row of the API key table does not have the expected columns.',
    });
  }
  const data = parsed.data;
  return {
    key_id: data.rowKey,
    name: data.Name,
    roles: keyRoles.data,
    app_id: data.AppId,
    created_at: data.CreatedAt,
    created_by: data.CreatedBy,
    expires_at: data.ExpiresAt,
    revoked_at: data.RevokedAt,
    last_used_at: data.LastUsedAt,
    hash_algorithm: data.HashAlgorithm,
    salt: data.Salt,
    secret_hash: data.SecretHash,
  };
}

export class TableApiKeyStore implements ApiKeyStore {
  private constructor(readonly client: TableClient) {}

  /** Opens (and creates if missing) the `apikeys` table, or a prefixed one. */
  static async create(options: ApiKeyTableOptions): Promise<TableApiKeyStore> {
    return new TableApiKeyStore(await openAgentTable(apiKeyStorageNames.apiKeysTable, options));
  }

  get tableName(): string {
    return this.client.tableName;
  }

  async insert(key: StoredApiKey): Promise<void> {
    try {
      await this.client.createEntity(toRow(key));
    } catch (error) {
      if ((error as { statusCode?: unknown } | null)?.statusCode === 409) {
        throw new KernelError('conflict', 'API key exists', { detail: `Key id '${key.key_id}' is taken.` });
      }
      throw error;
    }
  }

  async get(keyId: string): Promise<StoredApiKey | undefined> {
    if (!rowKeyPattern.test(keyId)) return undefined;
    try {
      return fromRow(await this.client.getEntity(partitionKey, keyId));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list(filter: ApiKeyListFilter = {}): Promise<StoredApiKey[]> {
    const clauses = [odata`PartitionKey eq ${partitionKey}`];
    if (filter.app_id !== undefined) clauses.push(odata`AppId eq ${filter.app_id ?? ''}`);
    const keys: StoredApiKey[] = [];
    for await (const row of this.client.listEntities({ queryOptions: { filter: clauses.join(' and ') } })) {
      keys.push(fromRow(row));
    }
    return keys;
  }

  async markRevoked(keyId: string, revokedAt: string): Promise<boolean> {
    return this.merge(keyId, { RevokedAt: revokedAt });
  }

  async markUsed(keyId: string, usedAt: string): Promise<void> {
    await this.merge(keyId, { LastUsedAt: usedAt });
  }

  /** Updates only the given columns; false when the row is not there (Merge never creates one). */
  private async merge(keyId: string, columns: Record<string, string>): Promise<boolean> {
    if (!rowKeyPattern.test(keyId)) return false;
    try {
      await this.client.updateEntity({ partitionKey, rowKey: keyId, ...columns }, 'Merge');
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Drops the table (tests). */
  async deleteTable(): Promise<void> {
    await this.client.deleteTable();
  }
}
