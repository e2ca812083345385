import { randomUUID } from 'node:crypto';
import { MemoryAuditStore } from '../src/adapters/memory';
import { TableAuditStore } from '../src/adapters/azure/audit-store';
import { startAzurite } from '../src/host/azurite/azurite-process';
import type { RunningAzurite } from '../src/host/azurite/azurite-process';
import type { AuditEvent, AuditStore } from '../src/kernel/audit';
import { AuditTrail } from '../src/kernel/audit';
import { azuriteConnectionString, parseStorageConnection } from '../src/kernel/config';
import type { ProgressLog, SuiteReport, Table } from './report';
import { fmt, round } from './report';

/**
 * The audit suite: how many audit entries per second the trail appends, with the
 * three ways events arrive in the kernel, on Azurite's Table service and in memory:
 *
 * - one at a time: each event awaited before the next (a quiet kernel: one append,
 *   one storage transaction, per event);
 * - burst: every event recorded at once (a flood of refused requests, a fan-out's
 *   agent calls): group commit puts up to 99 in one transaction;
 * - two writers: two trails on one table recording bursts at once (two kernel
 *   instances): appends conflict on the head's ETag and re-seal.
 *
 * Each run ends by verifying the whole chain, so a fast but broken chain fails the
 * suite. The ratio burst / one-at-a-time is what group commit buys.
 */

export interface AuditBenchOptions {
  readonly quick?: boolean;
  readonly log?: ProgressLog;
}

interface Row {
  readonly store: 'azurite' | 'memory';
  readonly mode: 'one-at-a-time' | 'burst' | 'two-writers';
  readonly events: number;
  readonly seconds: number;
  readonly perSecond: number;
}

const auditor = {
  id: 'bench',
  name: 'bench',
  kind: 'app' as const,
  roles: ['auditor'],
  scopes: [],
  app_id: null,
};

function event(index: number): AuditEvent {
  return {
    event_type: 'auth.failed',
    subject_id: `bench-${index}`,
    subject_type: 'token',
    action: 'authenticate',
    severity: 'warning',
    target: 'orchestrations_list',
    context: { reason: 'expired', method: 'GET', path: '/api/orchestrations', client_ip: '203.0.113.7' },
    app_id: null,
  };
}

async function measure(
  name: Row['store'],
  mode: Row['mode'],
  events: number,
  open: () => Promise<AuditStore>,
): Promise<Row> {
  const store = await open();
  const trails =
    mode === 'two-writers'
      ? [
          new AuditTrail({ store, newId: randomUUID }),
          new AuditTrail({ store: await open(), newId: randomUUID }),
        ]
      : [new AuditTrail({ store, newId: randomUUID })];
  const started = performance.now();
  if (mode === 'one-at-a-time') {
    for (let index = 0; index < events; index += 1) await trails[0]!.record(event(index));
  } else {
    await Promise.all(
      Array.from({ length: events }, (_, index) => trails[index % trails.length]!.record(event(index))),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const verdict = await trails[0]!.verify({}, auditor);
  if (!verdict.valid || verdict.checked !== events) {
    throw new Error(`audit ${name}/${mode}: chain invalid after the run (${JSON.stringify(verdict)})`);
  }
  return { store: name, mode, events, seconds, perSecond: events / seconds };
}

export async function runAuditBench(options: AuditBenchOptions = {}): Promise<SuiteReport> {
  const log = options.log ?? (() => undefined);
  const quick = options.quick ?? false;
  const sequentialEvents = quick ? 50 : 300;
  const burstEvents = quick ? 500 : 5000;
  const rows: Row[] = [];
  let azurite: RunningAzurite | undefined;
  const tables: TableAuditStore[] = [];
  try {
    log('audit: starting Azurite (in memory)...');
    azurite = await startAzurite();
    const connection = parseStorageConnection('AzureWebJobsStorage', {
      AzureWebJobsStorage: azuriteConnectionString(azurite.ports),
    });
    let prefixes = 0;
    const azureStore = () => {
      let prefix: string | undefined;
      return async () => {
        prefix ??= `bench${Date.now().toString(36)}${(prefixes += 1)}`;
        const store = await TableAuditStore.create({ connection, tablePrefix: prefix });
        tables.push(store);
        return store;
      };
    };
    const memoryStore = () => {
      const store = new MemoryAuditStore();
      return async () => store;
    };
    for (const [name, open] of [
      ['azurite', azureStore],
      ['memory', memoryStore],
    ] as const) {
      log(`audit: ${name}, ${sequentialEvents} events one at a time...`);
      rows.push(await measure(name, 'one-at-a-time', sequentialEvents, open()));
      log(`audit: ${name}, burst of ${burstEvents}...`);
      rows.push(await measure(name, 'burst', burstEvents, open()));
      log(`audit: ${name}, two writers, burst of ${burstEvents}...`);
      rows.push(await measure(name, 'two-writers', burstEvents, open()));
    }
  } finally {
    for (const table of tables) await table.deleteTable().catch(() => undefined);
    await azurite?.stop().catch(() => undefined);
  }

  const rate = (store: Row['store'], mode: Row['mode']) =>
    rows.find((row) => row.store === store && row.mode === mode)?.perSecond ?? Number.NaN;
  const table: Table = {
    title: 'Audit trail appends (entries/s; every run ends with a full chain verification)',
    columns: ['store', 'mode', 'events', 'seconds', 'entries/s', 'vs one-at-a-time'],
    rows: rows.map((row) => [
      row.store,
      row.mode,
      String(row.events),
      fmt(row.seconds),
      fmt(row.perSecond),
      `${fmt(row.perSecond / rate(row.store, 'one-at-a-time'))}x`,
    ]),
    notes: [
      'burst and two-writers: all events recorded at once; group commit sends up to 99 per transaction.',
      'two-writers: two trails (as two instances) on one table; conflicts on the head re-seal and retry.',
    ],
  };
  return {
    suite: 'audit',
    tables: [table],
    data: {
      rows: rows.map((row) => ({ ...row, seconds: round(row.seconds), perSecond: round(row.perSecond, 1) })),
      ratios: {
        azuriteBurstVsOneAtATime: round(rate('azurite', 'burst') / rate('azurite', 'one-at-a-time'), 2),
        azuriteTwoWritersVsBurst: round(rate('azurite', 'two-writers') / rate('azurite', 'burst'), 2),
      },
    },
  };
}
