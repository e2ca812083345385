import { createHash, randomUUID } from 'node:crypto';
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import { TableClient, odata } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import { BlobServiceClient } from '@azure/storage-blob';
import { parseStorageConnection } from '../../../kernel/config';
import type { HistoryEvent } from '../history';
import type {
  DurableStore,
  EntityRecord,
  InboxMessage,
  InstanceRecord,
  StoreChange,
  StoredState,
  WorkItem,
} from '../types';

/**
 * The Durable runtime's journal in Azure Table storage (Azurite locally), so
 * orchestrations, entities and pending work survive a killed host.
 *
 * Layout, chosen so that everything one commit writes for one orchestration is
 * a single entity-group transaction (same table, same partition):
 *
 *   `<hub>Instances`, PartitionKey = encoded instance id
 *     `meta`                     Id, Data (InstanceRecord JSON, '' before the first put),
 *                                HistoryGeneration, HistoryLength
 *     `history~<gen>~<seq>`      Data (HistoryEvent JSON); both numbers zero-padded
 *     `inbox~<encoded id>`       Id, Order, Data (InboxMessage JSON)
 *     `work~<encoded id>`        Id, Order, Data (activity WorkItem JSON)
 *   `<hub>Entities`, PartitionKey = encoded entity scheduler id `@name@key`
 *     `state`                    Data (EntityRecord JSON)
 *     `work~<encoded id>`        Id, Order, Data (entity WorkItem JSON)
 *   blob container `<hub>-largemessages`: any Data over the table's string limit;
 *     the row then has Data '' and DataBlob = the blob's name.
 *
 * The meta row is the commit point of an instance's history: load() only reads
 * history rows of the meta row's generation below its length, and the meta row
 * is written after the rows it counts. So a commit split into several
 * transactions (over 100 rows) and cut short by a crash never leaves a record
 * that claims events it does not have; continueAsNew moves to a new generation
 * and deletes the old one afterwards, for the same reason. Order is a per-store
 * increasing stamp so load() returns inbox and work in the order they were added.
 */

const maxTransactionOperations = 100;
/** The service takes 4 MiB per transaction; leave room for the multipart framing. */
const maxTransactionBytes = 3.5 * 1024 * 1024;
/** A string property holds 64 KiB of UTF-16; longer text goes to a blob. */
const defaultLargeValueChars = 30 * 1024;
/** Keys hold up to 1 KiB; longer encoded ids are hashed (ids are read from Data, never from keys). */
const maxEncodedKeyChars = 400;
const blobDownloadConcurrency = 16;

type TableKind = 'instances' | 'entities';

// A type, not an interface: the SDK's transaction actions want an index-signature-compatible shape.
type Row = {
  partitionKey: string;
  rowKey: string;
  Id?: string;
  Order?: string;
  Data?: string;
  DataBlob?: string;
  HistoryGeneration?: number;
  HistoryLength?: number;
};

type Operation =
  | {
      readonly type: 'upsert';
      readonly mode: 'Replace' | 'Merge';
      readonly entity: TableEntity<Row>;
      readonly blob?: { readonly name: string; readonly text: string };
    }
  | { readonly type: 'delete'; readonly rowKey: string };

interface Location {
  readonly kind: TableKind;
  readonly pk: string;
}

/** What one change does to one partition, serialized when commit() is called. */
interface PartitionPlan extends Location {
  readonly lockKey: string;
  purge: boolean;
  instanceId?: string;
  recordText?: string;
  history?: { reset: boolean; texts: string[] };
  readonly puts: Map<string, { readonly id?: string; readonly order?: string; readonly text: string }>;
  readonly deletes: Set<string>;
  /** Rows this change adds that did not exist before it: removing them again needs no delete. */
  readonly fresh: Set<string>;
}

interface Prepared {
  readonly plans: PartitionPlan[];
  readonly removedInbox: [string, string][];
  readonly removedWork: [string, Location][];
}

interface HistoryPosition {
  readonly generation: number;
  readonly length: number;
}

export interface TableDurableStoreOptions {
  /** Alphanumeric, 3-45 characters, starting with a letter (the Durable task hub rules). */
  readonly taskHub: string;
  /** Builds a client for one of the store's tables. */
  readonly tableClient: (tableName: string) => TableClient;
  /** The container for large values; created if missing. */
  readonly blobContainer: ContainerClient;
  /** UTF-16 code units above which a JSON value goes to a blob (tests lower it). */
  readonly largeValueChars?: number;
}

export interface TableStoreNames {
  readonly instancesTable: string;
  readonly entitiesTable: string;
  readonly container: string;
}

export function tableStoreNames(taskHub: string): TableStoreNames {
  if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(taskHub)) {
    throw new Error(
      `Task hub name '${taskHub}' is invalid: use 3-45 letters and digits, starting with a letter.`,
    );
  }
  return {
    instancesTable: `${taskHub}Instances`,
    entitiesTable: `${taskHub}Entities`,
    container: `${taskHub.toLowerCase()}-largemessages`,
  };
}

/**
 * Makes any id usable as a PartitionKey or RowKey (no / \ # ? ' or control
 * characters) while keeping common ids readable in Storage Explorer. Escapes
 * each other UTF-16 unit as `$xxxx`, so the mapping is one-to-one.
 */
export function encodeKey(id: string): string {
  const encoded = id.replace(
    /[^A-Za-z0-9\-_.@]/g,
    (unit) => `$${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (encoded.length <= maxEncodedKeyChars) return encoded;
  // `$hash` cannot come out of the escaping above ('h' is not a hex digit).
  return `$hash${createHash('sha256').update(id).digest('hex')}`;
}

function historyKey(generation: number, seq: number): string {
  return `history~${String(generation).padStart(10, '0')}~${String(seq).padStart(10, '0')}`;
}

function parseHistoryKey(rowKey: string): HistoryPosition & { seq: number } {
  const [, generation, seq] = rowKey.split('~');
  return { generation: Number(generation), length: 0, seq: Number(seq) };
}

function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    return typeof error.statusCode === 'number' ? error.statusCode : undefined;
  }
  return undefined;
}

function ignoreNotFound(error: unknown): void {
  if (statusOf(error) !== 404) throw error;
}

/** A conservative size: JSON escaping at most doubles ASCII, UTF-8 takes at most 3 bytes per unit. */
function estimatedBytes(op: Operation): number {
  if (op.type === 'delete') return 512;
  return 1024 + 3 * ((op.entity.Data?.length ?? 0) + (op.entity.Id?.length ?? 0));
}

function chunked(ops: readonly Operation[]): Operation[][] {
  const chunks: Operation[][] = [];
  let current: Operation[] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = estimatedBytes(op);
    if (
      current.length === maxTransactionOperations ||
      (current.length > 0 && bytes + size > maxTransactionBytes)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(op);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** JSON drops undefined members; the record type lists them all, so restore them. */
function toInstanceRecord(value: InstanceRecord): InstanceRecord {
  return {
    instanceId: value.instanceId,
    name: value.name,
    executionId: value.executionId,
    runtimeStatus: value.runtimeStatus,
    input: value.input,
    output: value.output,
    customStatus: value.customStatus,
    failureDetails: value.failureDetails,
    createdTime: value.createdTime,
    lastUpdatedTime: value.lastUpdatedTime,
    parent: value.parent,
  };
}

function toEntityRecord(value: EntityRecord): EntityRecord {
  return {
    entityId: value.entityId,
    exists: value.exists,
    state: value.state,
    lastModifiedTime: value.lastModifiedTime,
  };
}

export class TableDurableStore implements DurableStore {
  readonly kind = 'azure-table';
  readonly names: TableStoreNames;

  private readonly tables: Record<TableKind, TableClient>;
  private readonly container: ContainerClient;
  private readonly largeValueChars: number;

  /** History position per instance partition (lock key); absent means none yet. */
  private readonly positions = new Map<string, HistoryPosition>();
  /** Partitions whose position must be re-read because a commit to them failed. */
  private readonly positionsUnknown = new Set<string>();
  /** Where each pending inbox message (→ instance partition) and work item lives. */
  private readonly inboxAt = new Map<string, string>();
  private readonly workAt = new Map<string, Location>();
  /** Blob behind each row whose Data went to a blob, by `kind|pk|rk`. */
  private readonly blobOf = new Map<string, string>();
  /** Tail of the commit queue per partition. */
  private readonly tails = new Map<string, Promise<void>>();
  private lastOrder = 0;
  private loaded = false;
  private loading: Promise<void> | undefined;

  private constructor(options: TableDurableStoreOptions) {
    this.names = tableStoreNames(options.taskHub);
    this.tables = {
      instances: options.tableClient(this.names.instancesTable),
      entities: options.tableClient(this.names.entitiesTable),
    };
    this.container = options.blobContainer;
    this.largeValueChars = options.largeValueChars ?? defaultLargeValueChars;
  }

  /** Opens the store over existing clients, creating its tables and container if missing. */
  static async open(options: TableDurableStoreOptions): Promise<TableDurableStore> {
    const store = new TableDurableStore(options);
    await Promise.all([
      store.tables.instances.createTable(),
      store.tables.entities.createTable(),
      store.container.createIfNotExists(),
    ]);
    return store;
  }

  /** Opens the store from a connection string (`UseDevelopmentStorage=true` included). */
  static async create(options: {
    connectionString: string;
    taskHub: string;
    largeValueChars?: number;
  }): Promise<TableDurableStore> {
    const connection = parseStorageConnection('connectionString', {
      connectionString: options.connectionString,
    });
    if (connection.kind !== 'connectionString') throw new Error('A storage connection string is required.');
    const { connectionString, insecure } = connection;
    const names = tableStoreNames(options.taskHub);
    return TableDurableStore.open({
      taskHub: options.taskHub,
      tableClient: (table) =>
        TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: insecure }),
      blobContainer: BlobServiceClient.fromConnectionString(connectionString).getContainerClient(
        names.container,
      ),
      ...(options.largeValueChars === undefined ? {} : { largeValueChars: options.largeValueChars }),
    });
  }

  /**
   * Reads everything back and rebuilds the store's indexes. Call it before
   * committing (commit() does so itself on first use) and not while commits run.
   */
  async load(): Promise<StoredState> {
    const [instanceRows, entityRows] = await Promise.all([
      this.readAll(this.tables.instances),
      this.readAll(this.tables.entities),
    ]);

    this.positions.clear();
    this.positionsUnknown.clear();
    this.inboxAt.clear();
    this.workAt.clear();
    this.blobOf.clear();

    const metas: Row[] = [];
    const historyRows = new Map<string, { generation: number; seq: number; row: Row }[]>();
    const inboxRows: Row[] = [];
    const workRows: Row[] = [];
    const entityStateRows: Row[] = [];
    for (const row of instanceRows) {
      if (row.DataBlob) this.blobOf.set(`instances|${row.partitionKey}|${row.rowKey}`, row.DataBlob);
      if (row.rowKey === 'meta') {
        metas.push(row);
      } else if (row.rowKey.startsWith('history~')) {
        const { generation, seq } = parseHistoryKey(row.rowKey);
        const rows = historyRows.get(row.partitionKey) ?? [];
        rows.push({ generation, seq, row });
        historyRows.set(row.partitionKey, rows);
      } else if (row.rowKey.startsWith('inbox~') && row.Id !== undefined) {
        this.inboxAt.set(row.Id, row.partitionKey);
        inboxRows.push(row);
      } else if (row.rowKey.startsWith('work~') && row.Id !== undefined) {
        this.workAt.set(row.Id, { kind: 'instances', pk: row.partitionKey });
        workRows.push(row);
      }
    }
    for (const row of entityRows) {
      if (row.DataBlob) this.blobOf.set(`entities|${row.partitionKey}|${row.rowKey}`, row.DataBlob);
      if (row.rowKey === 'state') {
        entityStateRows.push(row);
      } else if (row.rowKey.startsWith('work~') && row.Id !== undefined) {
        this.workAt.set(row.Id, { kind: 'entities', pk: row.partitionKey });
        workRows.push(row);
      }
    }

    const histories: { instanceId: string; rows: Row[] }[] = [];
    for (const meta of metas) {
      const generation = meta.HistoryGeneration ?? 0;
      const length = meta.HistoryLength ?? 0;
      this.positions.set(`instances|${meta.partitionKey}`, { generation, length });
      if (length === 0 || meta.Id === undefined) continue;
      // Rows of other generations or past the length are leftovers of commits cut short.
      const rows = (historyRows.get(meta.partitionKey) ?? [])
        .filter((h) => h.generation === generation && h.seq < length)
        .sort((a, b) => a.seq - b.seq);
      if (rows.length !== length || rows.some((h, i) => h.seq !== i)) {
        throw new Error(
          `The stored history of instance '${meta.Id}' is incomplete: ${rows.length} of ${length} events.`,
        );
      }
      histories.push({ instanceId: meta.Id, rows: rows.map((h) => h.row) });
    }

    // Only rows in use are read, so a leftover row whose blob is gone cannot fail a start.
    const used = [
      ...metas,
      ...histories.flatMap((h) => h.rows),
      ...inboxRows,
      ...workRows,
      ...entityStateRows,
    ];
    const texts = new Map<Row, string>();
    await mapLimit(used, blobDownloadConcurrency, async (row) => texts.set(row, await this.textOf(row)));
    const parsed = <T>(row: Row): T => JSON.parse(texts.get(row)!) as T;

    const ordered = (rows: readonly Row[]): Row[] => {
      for (const row of rows) {
        const value = Number(row.Order ?? 0);
        if (Number.isSafeInteger(value) && value > this.lastOrder) this.lastOrder = value;
      }
      return [...rows].sort((a, b) =>
        (a.Order ?? '') < (b.Order ?? '') ? -1 : (a.Order ?? '') > (b.Order ?? '') ? 1 : 0,
      );
    };
    this.loaded = true;
    return {
      instances: metas
        .filter((meta) => texts.get(meta) !== '')
        .map((meta) => toInstanceRecord(parsed<InstanceRecord>(meta))),
      histories: new Map(
        histories.map((h) => [h.instanceId, h.rows.map((row) => parsed<HistoryEvent>(row))]),
      ),
      inbox: ordered(inboxRows).map((row) => parsed<InboxMessage>(row)),
      work: ordered(workRows).map((row) => parsed<WorkItem>(row)),
      entities: entityStateRows.map((row) => toEntityRecord(parsed<EntityRecord>(row))),
    };
  }

  async commit(change: StoreChange): Promise<void> {
    if (!this.loaded) {
      this.loading ??= this.load().then(
        () => undefined,
        (error: unknown) => {
          this.loading = undefined;
          throw error;
        },
      );
      await this.loading;
    }
    // Serialized now, so later changes by the caller to the objects are not journaled.
    const prepared = this.prepare(change);
    if (prepared.plans.length === 0) return;
    await this.exclusive(
      prepared.plans.map((p) => p.lockKey),
      () => this.apply(prepared),
    );
  }

  /** Waits for commits in flight. */
  async close(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }

  /** Deletes the task hub's tables and container: for tests and an explicit reset. */
  async deleteTaskHub(): Promise<void> {
    await this.close();
    await Promise.all([
      this.tables.instances.deleteTable(),
      this.tables.entities.deleteTable(),
      this.container.deleteIfExists(),
    ]);
  }

  private async readAll(client: TableClient): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const entity of client.listEntities<Row>()) rows.push(entity);
    return rows;
  }

  private async textOf(row: Row): Promise<string> {
    if (!row.DataBlob) return row.Data ?? '';
    const buffer = await this.container.getBlobClient(row.DataBlob).downloadToBuffer();
    return buffer.toString('utf8');
  }

  private nextOrder(): string {
    // Increasing within the process and, through the clock, across restarts.
    this.lastOrder = Math.max(this.lastOrder + 1, Date.now() * 1000);
    return String(this.lastOrder).padStart(17, '0');
  }

  /** Runs fn after every earlier commit touching any of keys; queues are joined in call order, so no deadlock. */
  private async exclusive(keys: readonly string[], fn: () => Promise<void>): Promise<void> {
    const earlier = keys.flatMap((key) => this.tails.get(key) ?? []);
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    for (const key of keys) this.tails.set(key, done);
    try {
      await Promise.all(earlier);
      await fn();
    } finally {
      release();
      for (const key of keys) if (this.tails.get(key) === done) this.tails.delete(key);
    }
  }

  /** Groups a change by partition, in the memory store's order: purge, put, history, add, remove. */
  private prepare(change: StoreChange): Prepared {
    const plans = new Map<string, PartitionPlan>();
    const planFor = (kind: TableKind, pk: string): PartitionPlan => {
      const lockKey = `${kind}|${pk}`;
      let plan = plans.get(lockKey);
      if (!plan) {
        plan = { kind, pk, lockKey, purge: false, puts: new Map(), deletes: new Set(), fresh: new Set() };
        plans.set(lockKey, plan);
      }
      return plan;
    };
    const removedInbox: [string, string][] = [];
    const removedWork: [string, Location][] = [];

    for (const instanceId of change.purge ?? []) {
      const plan = planFor('instances', encodeKey(instanceId));
      plan.purge = true;
      for (const [id, pk] of this.inboxAt) if (pk === plan.pk) this.inboxAt.delete(id);
    }
    for (const record of change.putInstances ?? []) {
      const plan = planFor('instances', encodeKey(record.instanceId));
      plan.instanceId = record.instanceId;
      plan.recordText = JSON.stringify(record);
    }
    for (const { instanceId, reset, events } of change.appendHistory ?? []) {
      const plan = planFor('instances', encodeKey(instanceId));
      plan.instanceId = instanceId;
      const texts = events.map((event) => JSON.stringify(event));
      // A reset drops whatever this change appended before it, as it drops the stored history.
      if (reset) plan.history = { reset: true, texts };
      else if (plan.history) for (const text of texts) plan.history.texts.push(text);
      else plan.history = { reset: false, texts };
    }

    const add = (plan: PartitionPlan, rowKey: string, id: string, known: boolean, value: unknown) => {
      if (!known) plan.fresh.add(rowKey);
      plan.deletes.delete(rowKey);
      plan.puts.set(rowKey, { id, order: this.nextOrder(), text: JSON.stringify(value) });
    };
    const remove = (plan: PartitionPlan, rowKey: string) => {
      if (!(plan.puts.delete(rowKey) && plan.fresh.has(rowKey))) plan.deletes.add(rowKey);
    };

    // An id added again for another instance or entity moves: its old row goes.
    for (const message of change.addInbox ?? []) {
      const plan = planFor('instances', encodeKey(message.instanceId));
      const rowKey = `inbox~${encodeKey(message.id)}`;
      const previous = this.inboxAt.get(message.id);
      if (previous !== undefined && previous !== plan.pk) remove(planFor('instances', previous), rowKey);
      add(plan, rowKey, message.id, previous === plan.pk, message);
      this.inboxAt.set(message.id, plan.pk);
    }
    for (const id of change.removeInbox ?? []) {
      const pk = this.inboxAt.get(id);
      if (pk === undefined) continue;
      this.inboxAt.delete(id);
      removedInbox.push([id, pk]);
      remove(planFor('instances', pk), `inbox~${encodeKey(id)}`);
    }
    for (const item of change.addWork ?? []) {
      const plan =
        item.kind === 'activity'
          ? planFor('instances', encodeKey(item.instanceId))
          : planFor('entities', encodeKey(item.entityId));
      const rowKey = `work~${encodeKey(item.id)}`;
      const previous = this.workAt.get(item.id);
      const same = previous?.kind === plan.kind && previous.pk === plan.pk;
      if (previous !== undefined && !same) remove(planFor(previous.kind, previous.pk), rowKey);
      add(plan, rowKey, item.id, same, item);
      this.workAt.set(item.id, { kind: plan.kind, pk: plan.pk });
    }
    for (const id of change.removeWork ?? []) {
      const location = this.workAt.get(id);
      if (location === undefined) continue;
      this.workAt.delete(id);
      removedWork.push([id, location]);
      remove(planFor(location.kind, location.pk), `work~${encodeKey(id)}`);
    }
    for (const entity of change.putEntities ?? []) {
      const plan = planFor('entities', encodeKey(entity.entityId));
      plan.deletes.delete('state');
      plan.puts.set('state', { text: JSON.stringify(entity) });
    }
    return { plans: [...plans.values()], removedInbox, removedWork };
  }

  private async apply({ plans, removedInbox, removedWork }: Prepared): Promise<void> {
    // Partitions that only receive go first, those that consume (remove) last:
    // a crash in between then repeats a message rather than losing one.
    const consumes = (p: PartitionPlan) => p.purge || p.deletes.size > 0;
    const results: PromiseSettledResult<void>[] = await Promise.allSettled(
      plans.filter((p) => !consumes(p)).map((p) => this.applyPartition(p)),
    );
    if (!results.some((r) => r.status === 'rejected')) {
      results.push(...(await Promise.allSettled(plans.filter(consumes).map((p) => this.applyPartition(p)))));
    }
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failure) return;
    // What landed is unknown: re-read positions, and keep removed ids findable so
    // a retried change deletes them (deleting a row already gone is tolerated).
    for (const plan of plans) {
      if (plan.kind !== 'instances') continue;
      this.positions.delete(plan.lockKey);
      this.positionsUnknown.add(plan.lockKey);
    }
    for (const [id, pk] of removedInbox) if (!this.inboxAt.has(id)) this.inboxAt.set(id, pk);
    for (const [id, location] of removedWork) if (!this.workAt.has(id)) this.workAt.set(id, location);
    throw failure.reason;
  }

  private async applyPartition(plan: PartitionPlan): Promise<void> {
    if (plan.purge) await this.purgePartition(plan);

    const upserts: Operation[] = [];
    const afterwards: Operation[] = [];
    let position: HistoryPosition | undefined;
    if (plan.history) {
      const before = await this.positionOf(plan);
      const { reset, texts } = plan.history;
      const generation = reset ? before.generation + 1 : before.generation;
      const start = reset ? 0 : before.length;
      texts.forEach((text, i) => upserts.push(this.upsert(plan, historyKey(generation, start + i), text)));
      if (reset) {
        for (let seq = 0; seq < before.length; seq++) {
          afterwards.push({ type: 'delete', rowKey: historyKey(before.generation, seq) });
        }
      }
      position = { generation, length: start + texts.length };
    }
    for (const [rowKey, put] of plan.puts) {
      upserts.push(
        this.upsert(plan, rowKey, put.text, {
          ...(put.id === undefined ? {} : { Id: put.id }),
          ...(put.order === undefined ? {} : { Order: put.order }),
        }),
      );
    }
    if (plan.kind === 'instances' && (position || plan.recordText !== undefined)) {
      const fields: Partial<Row> = {
        ...(plan.instanceId === undefined ? {} : { Id: plan.instanceId }),
        ...(position ? { HistoryGeneration: position.generation, HistoryLength: position.length } : {}),
      };
      // Merge, so a history-only commit keeps the record and a record-only one keeps the position.
      upserts.push(
        plan.recordText === undefined
          ? { type: 'upsert', mode: 'Merge', entity: { partitionKey: plan.pk, rowKey: 'meta', ...fields } }
          : this.upsert(plan, 'meta', plan.recordText, fields, 'Merge'),
      );
    }
    const ops = [
      ...upserts,
      ...[...plan.deletes].map((rowKey): Operation => ({ type: 'delete', rowKey })),
      ...afterwards,
    ];
    if (ops.length === 0) return;

    await Promise.all(
      ops.flatMap((op) =>
        op.type === 'upsert' && op.blob
          ? [
              this.container
                .getBlockBlobClient(op.blob.name)
                .upload(op.blob.text, Buffer.byteLength(op.blob.text)),
            ]
          : [],
      ),
    );
    for (const chunk of chunked(ops)) await this.submit(plan, chunk);

    if (position) {
      this.positions.set(plan.lockKey, position);
      this.positionsUnknown.delete(plan.lockKey);
    }
    const superseded: string[] = [];
    for (const op of ops) {
      const rowKey = op.type === 'delete' ? op.rowKey : op.entity.rowKey;
      if (op.type === 'upsert' && op.entity.Data === undefined) continue;
      const id = `${plan.kind}|${plan.pk}|${rowKey}`;
      const previous = this.blobOf.get(id);
      const next = op.type === 'upsert' ? op.blob?.name : undefined;
      if (previous !== undefined && previous !== next) superseded.push(previous);
      if (next === undefined) this.blobOf.delete(id);
      else this.blobOf.set(id, next);
    }
    await this.deleteBlobs(superseded);
  }

  private upsert(
    plan: PartitionPlan,
    rowKey: string,
    text: string,
    fields: Partial<Row> = {},
    mode: 'Replace' | 'Merge' = 'Replace',
  ): Operation {
    const entity = { partitionKey: plan.pk, rowKey, ...fields };
    if (text.length <= this.largeValueChars) {
      return { type: 'upsert', mode, entity: { ...entity, Data: text, DataBlob: '' } };
    }
    // A fresh name per write: the row still names the old blob until its transaction lands.
    const name = `${plan.kind}/${plan.pk}/${rowKey}/${randomUUID()}`;
    return { type: 'upsert', mode, entity: { ...entity, Data: '', DataBlob: name }, blob: { name, text } };
  }

  private async submit(plan: PartitionPlan, ops: readonly Operation[]): Promise<void> {
    const client = this.tables[plan.kind];
    const actions = ops.map((op): TransactionAction =>
      op.type === 'delete'
        ? ['delete', { partitionKey: plan.pk, rowKey: op.rowKey }]
        : ['upsert', op.entity, op.mode],
    );
    try {
      await client.submitTransaction(actions);
    } catch (error) {
      if (statusOf(error) !== 404 || !ops.some((op) => op.type === 'delete')) throw error;
      // One delete of a row already gone (after an earlier failed commit) fails the
      // whole transaction; apply the operations one by one instead.
      for (const op of ops) {
        if (op.type === 'delete') await client.deleteEntity(plan.pk, op.rowKey).catch(ignoreNotFound);
        else await client.upsertEntity(op.entity, op.mode);
      }
    }
  }

  private async positionOf(plan: PartitionPlan): Promise<HistoryPosition> {
    const known = this.positions.get(plan.lockKey);
    if (known) return known;
    if (!this.positionsUnknown.has(plan.lockKey)) return { generation: 0, length: 0 };
    try {
      const meta = await this.tables.instances.getEntity<Row>(plan.pk, 'meta');
      return { generation: meta.HistoryGeneration ?? 0, length: meta.HistoryLength ?? 0 };
    } catch (error) {
      ignoreNotFound(error);
      return { generation: 0, length: 0 };
    }
  }

  /** Deletes an instance's meta, history and inbox rows; its work rows stay for the engine to remove. */
  private async purgePartition(plan: PartitionPlan): Promise<void> {
    const client = this.tables.instances;
    const rows: Row[] = [];
    for await (const row of client.listEntities<Row>({
      queryOptions: { filter: odata`PartitionKey eq ${plan.pk}` },
    })) {
      if (!row.rowKey.startsWith('work~')) rows.push(row);
    }
    // The meta row goes first: cut short, a purge leaves uncounted rows, never a count without rows.
    rows.sort((a, b) => Number(b.rowKey === 'meta') - Number(a.rowKey === 'meta'));
    const ops = rows.map((row): Operation => ({ type: 'delete', rowKey: row.rowKey }));
    for (const chunk of chunked(ops)) await this.submit(plan, chunk);
    this.positions.delete(plan.lockKey);
    this.positionsUnknown.delete(plan.lockKey);
    const blobs = rows.flatMap((row) => (row.DataBlob ? [row.DataBlob] : []));
    for (const row of rows) this.blobOf.delete(`instances|${plan.pk}|${row.rowKey}`);
    await this.deleteBlobs(blobs);
  }

  private async deleteBlobs(names: readonly string[]): Promise<void> {
    // Best effort: a blob left behind costs space, never correctness.
    await Promise.all(
      names.map((name) =>
        this.container
          .getBlobClient(name)
          .deleteIfExists()
          .catch(() => undefined),
      ),
    );
  }
}
