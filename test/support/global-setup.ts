import type { TestProject } from 'vitest/node';
import { azuriteConnectionString } from '../../src/kernel/config';
import { startAzurite } from '../../src/host/azurite/azurite-process';

/**
 * One Azurite for the whole test run, in memory on free ports; tests read its
 * connection string with inject('azuriteConnectionString').
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  project.provide('azuriteConnectionString', azuriteConnectionString(azurite.ports));
  project.provide('azuritePorts', azurite.ports);
  return () => azurite.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string;
    azuritePorts: { blob: number; queue: number; table: number };
  }
}
