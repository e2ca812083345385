import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { projectRoot, runAos } from '../../../support/processes';

/**
 * Durability: kill -9 the host in the middle of an orchestration; a new host over
 * the same Azurite task hub resumes it and finishes, re-running what was in flight.
 */

const appDir = path.join(projectRoot, 'test', 'fixtures', 'durable-app');

describe('restarting aos host', () => {
  it('resumes a running instance after kill -9 and completes it', async () => {
    const env = {
      AzureWebJobsStorage: inject('azuriteConnectionString'),
      FIXTURE_HUB: `rs${Date.now().toString(36)}`,
    };
    const first = await runAos(['host', '--app', appDir, '--port', '0'], { env });
    const check = (await (
      await fetch(`${first.baseUrl}/api/start/longSequence/survivor`, { method: 'POST', body: '8' })
    ).json()) as { id: string };
    expect(check.id).toBe('survivor');
    const statusUrl = (base: string) => `${base}/runtime/webhooks/durabletask/instances/survivor`;
    // Let a few steps finish, then kill without any chance to clean up.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const status = (await (await fetch(statusUrl(first.baseUrl))).json()) as {
        customStatus?: { done?: number };
      };
      if ((status.customStatus?.done ?? 0) >= 3) break;
      if (Date.now() > deadline) throw new Error('the orchestration did not progress');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await runAos(['host', '--app', appDir, '--port', '0'], { env });
    try {
      expect(second.output()).toMatch(
        /Durable: loaded \d+ instance\(s\) from the azure-table store; 1 still running/,
      );
      const end = Date.now() + 20_000;
      let status: { runtimeStatus?: string; output?: unknown } = {};
      while (Date.now() < end) {
        status = (await (await fetch(statusUrl(second.baseUrl))).json()) as typeof status;
        if (status.runtimeStatus === 'Completed') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(status.runtimeStatus).toBe('Completed');
      expect(status.output).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    } finally {
      await second.stop();
    }
  });
});
