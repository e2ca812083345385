import type { TableClient, TableEntity } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import type { AgentListFilter, AgentRecord, AgentRegistry } from '../../kernel/agents';
import { agentIdPattern, agentRecordSchema, agentStorageNames } from '../../kernel/agents';
import { KernelError } from '../../kernel/errors';
import type { AgentTableOptions } from './agent-tables';
import { isNotFound, openAgentTable } from './agent-tables';

/**
 * Agent records in Azure Table storage (Azurite locally).
 *
 * Layout: one partition `agent`, RowKey = agent_id (its characters are all legal
 * in keys). The record is JSON split over Data0…DataN (a string property holds 64
 * KiB of UTF-16; a row 1 MiB), with AgentType and AppId as columns so list filters
 * run in the service. The JSON is ASCII only (other characters as \uXXXX): Azurite
 * corrupts a multi-byte character that straddles two chunks of a large request
 * body, and ASCII has none to straddle.
 */

const partitionKey = 'agent';
const chunkChars = 30 * 1024;
/** 15 × 30 Ki characters of UTF-16 stays under the 1 MiB row limit with room for the rest. */
const maxChunks = 15;

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export class TableAgentRegistry implements AgentRegistry {
  private constructor(readonly client: TableClient) {}

  /** Opens (and creates if missing) the `agents` table, or a prefixed one. */
  static async create(options: AgentTableOptions): Promise<TableAgentRegistry> {
    return new TableAgentRegistry(await openAgentTable(agentStorageNames.agentsTable, options));
  }

  get tableName(): string {
    return this.client.tableName;
  }

  async get(agentId: string): Promise<AgentRecord | undefined> {
    // An id that could never be registered is not a key worth sending to the service.
    if (!agentIdPattern.test(agentId)) return undefined;
    try {
      const row = await this.client.getEntity<Record<string, unknown>>(partitionKey, agentId);
      return parseRow(row, agentId);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(record: AgentRecord): Promise<void> {
    const json = asciiJson(record);
    const parts = Math.max(1, Math.ceil(json.length / chunkChars));
    if (parts > maxChunks) {
      throw new KernelError('payload_too_large', 'Agent record too large', {
        detail: `The record of '${record.agent_id}' is ${json.length} characters of JSON.`,
      });
    }
    const row: TableEntity<Record<string, unknown>> = {
      partitionKey,
      rowKey: record.agent_id,
      AgentType: record.agent_type,
      // '' for kernel-wide agents (app_id null): tables cannot filter on a missing property.
      AppId: record.app_id ?? '',
      Parts: parts,
    };
    for (let i = 0; i < parts; i += 1) row[`Data${i}`] = json.slice(i * chunkChars, (i + 1) * chunkChars);
    // Replace, so a shorter record leaves no stale Data parts behind.
    await this.client.upsertEntity(row, 'Replace');
  }

  async list(filter: AgentListFilter = {}): Promise<AgentRecord[]> {
    const clauses = [odata`PartitionKey eq ${partitionKey}`];
    if (filter.agent_type !== undefined) clauses.push(odata`AgentType eq ${filter.agent_type}`);
    if (filter.app_id !== undefined) clauses.push(odata`AppId eq ${filter.app_id ?? ''}`);
    const records: AgentRecord[] = [];
    for await (const row of this.client.listEntities<Record<string, unknown>>({
      queryOptions: { filter: clauses.join(' and ') },
    })) {
      records.push(parseRow(row, String(row.rowKey)));
    }
    return records;
  }

  /** Drops the table (tests). */
  async deleteTable(): Promise<void> {
    await this.client.deleteTable();
  }
}

function parseRow(row: Record<string, unknown>, agentId: string): AgentRecord {
  const parts = typeof row['Parts'] === 'number' ? row['Parts'] : 1;
  let json = '';
  for (let i = 0; i < parts; i += 1) {
    const part = row[`Data${i}`];
    if (typeof part !== 'string') throw corrupt(agentId);
    json += part;
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw corrupt(agentId);
  }
  const parsed = agentRecordSchema.safeParse(value);
  if (!parsed.success) throw corrupt(agentId);
  return parsed.data;
}

function corrupt(agentId: string): KernelError {
  return new KernelError('internal', 'Stored agent record is unreadable', {
    detail: `The stored record of agent '${agentId}' does not parse; register the agent again.`,
  });
}
