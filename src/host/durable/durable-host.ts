import { parseStorageConnection } from '../../kernel/config';
import type { LoadedApp } from '../app/app-loader';
import { resolveAppSettingExpression } from '../app/host-json';
import type { FunctionInvoker } from '../app/invoker';
import type { HostLogger } from '../logger';
import type { Clock } from './clock';
import { RealClock } from './clock';
import { indexDurableFunctions } from './durable-functions-index';
import { DurableRuntime } from './durable-runtime';
import { MemoryDurableStore } from './stores/memory-store';
import { TableDurableStore } from './stores/table-store';
import type { DurableStore } from './types';

/**
 * Wires the Durable runtime into the local host for an app that has durable
 * functions: task hub and concurrency from host.json, the store (Azure Tables
 * when AzureWebJobsStorage holds a connection string, as in `aos host` with
 * Azurite; memory otherwise) and the clock.
 */

export interface DurableHostOptions {
  readonly clock?: Clock;
  readonly store?: DurableStore;
  readonly autoSkipTime?: boolean;
}

export interface DurableSettings {
  readonly taskHubName: string;
  readonly maxConcurrentActivityFunctions: number;
  readonly maxConcurrentOrchestratorFunctions: number;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function durableSettings(
  app: LoadedApp,
  env: Readonly<Record<string, string | undefined>>,
): DurableSettings {
  const durable = record(record(app.host.raw['extensions'])['durableTask']);
  let taskHubName = 'TestHubName';
  if (typeof durable['hubName'] === 'string') {
    try {
      taskHubName = resolveAppSettingExpression(durable['hubName'], env);
    } catch {
      taskHubName = 'TestHubName';
    }
  }
  taskHubName = taskHubName.replace(/[^A-Za-z0-9]/g, '') || 'TestHubName';
  if (!/^[A-Za-z]/.test(taskHubName)) taskHubName = `h${taskHubName}`;
  const limit = (name: string, fallback: number) => {
    const value = durable[name];
    return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
  };
  return {
    taskHubName,
    maxConcurrentActivityFunctions: limit('maxConcurrentActivityFunctions', 10),
    maxConcurrentOrchestratorFunctions: limit('maxConcurrentOrchestratorFunctions', 10),
  };
}

/** True when the app registered any orchestration, activity or entity trigger, or a durableClient input. */
export function usesDurable(app: LoadedApp): boolean {
  const index = indexDurableFunctions(app.registrations);
  if (index.orchestrators.size + index.activities.size + index.entities.size > 0) return true;
  for (const fn of app.registrations.functions.values()) {
    if (Object.values(fn.metadata.bindings).some((b) => String(b.type).toLowerCase() === 'durableclient'))
      return true;
  }
  return false;
}

async function defaultStore(
  settings: DurableSettings,
  env: Readonly<Record<string, string | undefined>>,
  logger: HostLogger,
): Promise<DurableStore> {
  if (!env['AzureWebJobsStorage'] && !env['AzureWebJobsStorage__accountName']) {
    logger.warn(
      'Durable: AzureWebJobsStorage is not set; instances live in memory and do not survive a restart.',
    );
    return new MemoryDurableStore();
  }
  const storage = parseStorageConnection('AzureWebJobsStorage', env);
  if (storage.kind !== 'connectionString') {
    logger.warn(
      'Durable: identity-based storage is not supported by the local runtime; using the memory store.',
    );
    return new MemoryDurableStore();
  }
  return TableDurableStore.create({
    connectionString: storage.connectionString,
    taskHub: settings.taskHubName,
  });
}

export async function createDurableRuntime(
  app: LoadedApp,
  invoker: FunctionInvoker,
  logger: HostLogger,
  options: DurableHostOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<DurableRuntime | undefined> {
  if (!usesDurable(app)) return undefined;
  const settings = durableSettings(app, env);
  const store = options.store ?? (() => defaultStore(settings, env, logger));
  return new DurableRuntime({
    registrations: app.registrations,
    invoker,
    logger,
    store,
    clock: options.clock ?? new RealClock(),
    taskHubName: settings.taskHubName,
    maxConcurrentActivityFunctions: settings.maxConcurrentActivityFunctions,
    maxConcurrentOrchestratorFunctions: settings.maxConcurrentOrchestratorFunctions,
    autoSkipTime: options.autoSkipTime ?? false,
  });
}
