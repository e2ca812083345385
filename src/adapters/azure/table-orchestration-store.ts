import type { TableClient } from '@azure/data-tables';
import { RestError } from '@azure/data-tables';
import type {
  OrchestrationListQuery,
  OrchestrationRecord,
  OrchestrationStore,
} from '../../kernel/orchestrations/orchestration-store';

/**
 * Orchestration records in Azure Tables. Row key = an inverted timestamp + id so
 * a partition scan lists newest first; a second row keyed by id finds a record
 * directly. Both live in one partition per app and are written in one transaction.
 */

interface Row {
  partitionKey: string;
  rowKey: string;
  data: string;
}

const maxTicks = 9_999_999_999_999;

function escapeKey(value: string): string {
  return encodeURIComponent(value).replace(/%/g, '$');
}

function appPartition(appId: string | null): string {
  return appId === null ? 'kernel' : `app-${escapeKey(appId)}`;
}

export class TableOrchestrationStore implements OrchestrationStore {
  #ready: Promise<void> | undefined;

  constructor(private readonly table: TableClient) {}

  private ready(): Promise<void> {
    this.#ready ??= this.table.createTable().catch((error: unknown) => {
      if (!(error instanceof RestError && error.statusCode === 409)) throw error;
    });
    return this.#ready;
  }

  private orderKey(record: OrchestrationRecord): string {
    const inverted = String(maxTicks - Date.parse(record.created_at)).padStart(13, '0');
    return `t-${inverted}-${escapeKey(record.orchestration_id)}`;
  }

  async create(record: OrchestrationRecord): Promise<{ record: OrchestrationRecord; created: boolean }> {
    await this.ready();
    const existing = await this.get(record.orchestration_id);
    if (existing) return { record: existing, created: false };
    const data = JSON.stringify(record);
    try {
      // The id row is global (one partition for all ids) so a duplicate id from any app conflicts.
      await this.table.createEntity<Row>({
        partitionKey: 'ids',
        rowKey: escapeKey(record.orchestration_id),
        data,
      });
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 409) {
        const winner = await this.get(record.orchestration_id);
        if (winner) return { record: winner, created: false };
      }
      throw error;
    }
    await this.table.upsertEntity<Row>(
      { partitionKey: appPartition(record.app_id), rowKey: this.orderKey(record), data },
      'Replace',
    );
    return { record, created: true };
  }

  async get(orchestrationId: string): Promise<OrchestrationRecord | undefined> {
    await this.ready();
    try {
      const row = await this.table.getEntity<Row>('ids', escapeKey(orchestrationId));
      return JSON.parse(row.data) as OrchestrationRecord;
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async update(
    orchestrationId: string,
    patch: Partial<Pick<OrchestrationRecord, 'stop_requested'>>,
  ): Promise<void> {
    const existing = await this.get(orchestrationId);
    if (!existing) return;
    const data = JSON.stringify({ ...existing, ...patch });
    await this.table.upsertEntity<Row>(
      { partitionKey: 'ids', rowKey: escapeKey(orchestrationId), data },
      'Replace',
    );
    await this.table.upsertEntity<Row>(
      { partitionKey: appPartition(existing.app_id), rowKey: this.orderKey(existing), data },
      'Replace',
    );
  }

  async list(
    query: OrchestrationListQuery,
  ): Promise<{ records: OrchestrationRecord[]; continuation?: string }> {
    await this.ready();
    const partitions = query.app_id === undefined ? undefined : [appPartition(query.app_id)];
    const filter = partitions
      ? `PartitionKey eq '${partitions[0]!.replace(/'/g, "''")}'`
      : `PartitionKey ne 'ids'`;
    const after = query.continuation
      ? Buffer.from(query.continuation, 'base64url').toString('utf8')
      : undefined;
    const matches: { key: string; record: OrchestrationRecord }[] = [];
    for await (const row of this.table.listEntities<Row>({ queryOptions: { filter } })) {
      const record = JSON.parse(row.data) as OrchestrationRecord;
      if (query.agent_id !== undefined && !record.agent_ids.includes(query.agent_id)) continue;
      matches.push({ key: `${row.rowKey}|${row.partitionKey}`, record });
    }
    matches.sort((a, b) => a.key.localeCompare(b.key));
    const start = after === undefined ? 0 : matches.findIndex((m) => m.key > after);
    const page = start < 0 ? [] : matches.slice(start, start + query.limit);
    const last = page[page.length - 1];
    const more = start >= 0 && start + query.limit < matches.length;
    return more && last
      ? { records: page.map((m) => m.record), continuation: Buffer.from(last.key).toString('base64url') }
      : { records: page.map((m) => m.record) };
  }
}
