import { createStorageHealthChecks } from '../adapters/azure';
import type { KernelConfig } from '../kernel/config';
import { loadConfig } from '../kernel/config';
import { HealthService } from '../kernel/health';
import { readPackageInfo } from './package-info';

/**
 * The one composition root: validated config in, kernel services out, built once
 * per process (cold start). Every function gets its services from here; nothing
 * else constructs adapters.
 */

export interface Kernel {
  readonly config: KernelConfig;
  readonly version: string;
  readonly health: HealthService;
}

export function createKernel(config: KernelConfig): Kernel {
  const { version } = readPackageInfo();
  const health = new HealthService(createStorageHealthChecks(config.storage), {
    version,
    host: config.host,
    timeoutMs: config.healthTimeoutMs,
  });
  return { config, version, health };
}

let kernel: Kernel | undefined;

/** The process's kernel; the first call parses config and throws ConfigError naming bad settings. */
export function getKernel(): Kernel {
  kernel ??= createKernel(loadConfig(process.env));
  return kernel;
}
