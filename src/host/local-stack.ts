import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { azuriteConnectionString, parseStorageConnection, settings } from '../kernel/config';
import type { AzuriteServicePorts, RunningAzurite } from './azurite/azurite-process';
import { isPortOpen, startAzurite } from './azurite/azurite-process';
import { applySettings, readLocalSettings } from './app/app-loader';
import { FunctionHost } from './function-host';
import type { HostLogger } from './logger';
import { createConsoleLogger } from './logger';

/**
 * What `npm start` runs: Azurite (unless storage points elsewhere) and the local
 * runtime over this project, stopped together.
 */

export interface LocalStackOptions {
  readonly appDir: string;
  readonly port?: number | undefined;
  /** Where Azurite keeps its data; defaults to <appDir>/.aos/azurite. */
  readonly dataDir?: string | undefined;
  /** 'auto' starts Azurite on free ports and points AzureWebJobsStorage at them (tests, parallel runs). */
  readonly azurite?: 'default' | 'auto';
  readonly logger?: HostLogger;
}

export interface LocalStack {
  readonly host: FunctionHost;
  readonly azurite: RunningAzurite | undefined;
  stop(): Promise<void>;
}

function isLoopback(endpoint: string): boolean {
  const { hostname } = new URL(endpoint);
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

function portOf(endpoint: string): number {
  return Number(new URL(endpoint).port || 80);
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const logger = options.logger ?? createConsoleLogger();
  const appDir = path.resolve(options.appDir);
  const localSettings = path.join(appDir, 'local.settings.json');
  const sample = path.join(appDir, 'local.settings.sample.json');
  if (!existsSync(localSettings) && existsSync(sample)) {
    copyFileSync(sample, localSettings);
    logger.info('Created local.settings.json from local.settings.sample.json.');
  }
  applySettings(readLocalSettings(appDir).values);

  let azurite: RunningAzurite | undefined;
  const dataDir = options.dataDir ?? path.join(appDir, '.aos', 'azurite');
  if (options.azurite === 'auto') {
    azurite = await startAzurite({ location: dataDir });
    process.env[settings.storage.name] = azuriteConnectionString(azurite.ports);
  } else {
    const storage = parseStorageConnection(settings.storage.name, process.env);
    if (storage.kind === 'connectionString' && isLoopback(storage.blobEndpoint)) {
      const ports: AzuriteServicePorts = {
        blob: portOf(storage.blobEndpoint),
        queue: portOf(storage.queueEndpoint),
        table: portOf(storage.tableEndpoint),
      };
      if (await isPortOpen(ports.blob)) {
        logger.info(`Storage: something already listens on port ${ports.blob}; using it as Azurite.`);
      } else {
        azurite = await startAzurite({ location: dataDir, ports });
      }
    } else {
      logger.info('Storage: settings point at a remote account; not starting Azurite.');
    }
  }
  if (azurite) {
    logger.info(
      `Azurite: blob ${azurite.ports.blob}, queue ${azurite.ports.queue}, table ${azurite.ports.table} (data in ${dataDir})`,
    );
  }

  let host: FunctionHost;
  try {
    host = await FunctionHost.start({ appDir, port: options.port, logger });
  } catch (error) {
    await azurite?.stop();
    throw error;
  }
  return {
    host,
    azurite,
    stop: async () => {
      await host.stop();
      await azurite?.stop();
    },
  };
}
