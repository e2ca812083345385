import type { TableClient, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import type { AuditEntry, AuditQuery, AuditStore, ChainHead } from '../../kernel/audit';
import { auditSeverities, maxAuditBatch } from '../../kernel/audit';
import { storageResourceNames } from '../../kernel/config';
import { KernelError } from '../../kernel/errors';
import type { AgentTableOptions } from './agent-tables';
import { isNotFound, openAgentTable } from './agent-tables';

/**
 * The audit trail in Azure Table storage (Azurite locally).
 *
 * Layout: one partition `audit` (so an append and the head move in one entity
 * group transaction). Entries have RowKey = 10^15 - sequence, zero-padded, so
 * the table's natural order is newest first; the head is the row `~head`, after
 * every entry. An append is one transaction: insert the entry, replace the head
 * with If-Match on its ETag (create it for the first entry). Another writer's
 * append makes the transaction fail (412 or 409) and the append is re-sealed on
 * the new head. The entry is stored whole as JSON; EventType, SubjectId, AppId
 * and OccurredAt are copies for filtering only (tampering with them can hide an
 * entry from a filter, never change what verification sees).
 *
 * One partition bounds appends to one partition's throughput (the service
 * targets ~2,000 entities/s per partition); the trail is far below that.
 */

const partitionKey = 'audit';
const headRowKey = '~head';
const sequenceCeiling = 1_000_000_000_000_000;
const rowKeyWidth = 16;
const maxAttempts = 20;

export type AuditTableOptions = AgentTableOptions;

export function auditRowKey(sequence: number): string {
  return String(sequenceCeiling - sequence).padStart(rowKeyWidth, '0');
}

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

const entrySchema = z.object({
  id: z.string(),
  timestamp: z.string(),
  sequence: z.number().int().positive(),
  previous_hash: z.string(),
  hash: z.string(),
  event_type: z.string(),
  subject_id: z.string(),
  subject_type: z.string(),
  action: z.string(),
  severity: z.enum(auditSeverities),
  target: z.string().nullable(),
  context: z.record(z.string(), jsonValue),
  app_id: z.string().nullable(),
});

const headSchema = z.object({ Sequence: z.string().regex(/^\d+$/), Hash: z.string(), etag: z.string() });

function corrupt(what: string): KernelError {
  return new KernelError('internal', 'Corrupt audit row', {
    detail: `A row of the audit table does not have the expected shape (${what}).`,
  });
}

function fromRow(row: unknown): AuditEntry {
  const text = (row as { Entry?: unknown } | null)?.Entry;
  if (typeof text !== 'string') throw corrupt('no Entry column');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt('Entry is not JSON');
  }
  const result = entrySchema.safeParse(parsed);
  if (!result.success) throw corrupt('Entry fields');
  // The JSON is what was sealed; it is returned as stored (verification re-hashes it).
  return parsed as AuditEntry;
}

function isConflict(error: unknown): boolean {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return status === 409 || status === 412;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface KnownHead {
  readonly head: ChainHead | null;
  /** The head row's ETag; null while there is no head row. */
  readonly etag: string | null;
}

export class TableAuditStore implements AuditStore {
  /** The head as this process last wrote or read it: saves a read per append while no one else writes. */
  private known: KnownHead | undefined;

  private constructor(readonly client: TableClient) {}

  /** Opens (and creates if missing) the `audit` table, or a prefixed one. */
  static async create(options: AuditTableOptions): Promise<TableAuditStore> {
    return new TableAuditStore(await openAgentTable(storageResourceNames.auditTable, options));
  }

  get tableName(): string {
    return this.client.tableName;
  }

  async append(seal: (head: ChainHead | null) => readonly AuditEntry[]): Promise<readonly AuditEntry[]> {
    for (let attempt = 1; ; attempt += 1) {
      const known = this.known ?? (await this.readHead());
      const entries = seal(known.head);
      const last = entries[entries.length - 1];
      if (last === undefined || entries.length > maxAuditBatch) {
        throw new RangeError(`an append carries 1 to ${maxAuditBatch} entries, not ${entries.length}`);
      }
      const headRow = { partitionKey, rowKey: headRowKey, Sequence: String(last.sequence), Hash: last.hash };
      const actions: TransactionAction[] = entries.map((entry) => [
        'create',
        {
          partitionKey,
          rowKey: auditRowKey(entry.sequence),
          Entry: JSON.stringify(entry),
          EventType: entry.event_type,
          SubjectId: entry.subject_id,
          AppId: entry.app_id ?? '',
          OccurredAt: entry.timestamp,
        },
      ]);
      actions.push(
        known.etag === null ? ['create', headRow] : ['update', headRow, 'Replace', { etag: known.etag }],
      );
      try {
        const response = await this.client.submitTransaction(actions);
        // The head is the last action; its new ETag lets the next append skip reading it.
        const etag = response.subResponses.at(-1)?.etag;
        this.known = etag ? { head: { sequence: last.sequence, hash: last.hash }, etag } : undefined;
        return entries;
      } catch (error) {
        this.known = undefined;
        // The transaction may have committed even though this call failed (its answer
        // was lost and the SDK's retry conflicted with it, or the connection dropped
        // after the commit). Transactions are atomic: if our last entry's row holds
        // our entry, the whole batch is in, whatever was appended after it since.
        if (await this.holds(last).catch(() => false)) return entries;
        if (!isConflict(error) || attempt >= maxAttempts) throw error;
        // Someone else appended first: re-seal on the new head after a jittered, growing pause.
        await pause(Math.random() * Math.min(250, 5 * 2 ** attempt));
      }
    }
  }

  /** Whether the row at the entry's sequence holds that very entry (same id and hash). */
  private async holds(entry: AuditEntry): Promise<boolean> {
    try {
      const row = await this.client.getEntity(partitionKey, auditRowKey(entry.sequence));
      const stored = fromRow(row);
      return stored.id === entry.id && stored.hash === entry.hash;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async head(): Promise<ChainHead | null> {
    return (await this.readHead()).head;
  }

  /** Head reads so far (tests check that the ETag cache saves them). */
  headReads = 0;

  private async readHead(): Promise<KnownHead> {
    this.headReads += 1;
    try {
      const row = headSchema.safeParse(await this.client.getEntity(partitionKey, headRowKey));
      if (!row.success) throw corrupt('head row');
      const known = {
        head: { sequence: Number(row.data.Sequence), hash: row.data.Hash },
        etag: row.data.etag,
      };
      this.known = known;
      return known;
    } catch (error) {
      if (isNotFound(error)) {
        const empty = { head: null, etag: null };
        this.known = empty;
        return empty;
      }
      throw error;
    }
  }

  async query(query: AuditQuery): Promise<AuditEntry[]> {
    const clauses = [odata`PartitionKey eq ${partitionKey}`, odata`RowKey lt ${headRowKey}`];
    if (query.start_time !== undefined) clauses.push(odata`OccurredAt ge ${query.start_time}`);
    if (query.end_time !== undefined) clauses.push(odata`OccurredAt le ${query.end_time}`);
    if (query.event_type !== undefined) clauses.push(odata`EventType eq ${query.event_type}`);
    if (query.subject_id !== undefined) clauses.push(odata`SubjectId eq ${query.subject_id}`);
    if (query.app_id !== undefined) clauses.push(odata`AppId eq ${query.app_id}`);
    const out: AuditEntry[] = [];
    const rows = this.client.listEntities({ queryOptions: { filter: clauses.join(' and ') } });
    for await (const page of rows.byPage({ maxPageSize: Math.min(1000, query.limit) })) {
      for (const row of page) {
        out.push(fromRow(row));
        if (out.length >= query.limit) return out;
      }
    }
    return out;
  }

  async range(from: number, to: number): Promise<AuditEntry[]> {
    if (to < from) return [];
    const filter = [
      odata`PartitionKey eq ${partitionKey}`,
      odata`RowKey ge ${auditRowKey(to)}`,
      odata`RowKey le ${auditRowKey(from)}`,
    ].join(' and ');
    const out: AuditEntry[] = [];
    for await (const row of this.client.listEntities({ queryOptions: { filter } })) out.push(fromRow(row));
    return out.reverse();
  }

  /** Drops the table (tests). */
  async deleteTable(): Promise<void> {
    await this.client.deleteTable();
  }
}
