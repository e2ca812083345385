import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import type { TestHost } from '../../../../src/testing';
import { createTestHost } from '../../../../src/testing';

/** Management operations on real instances: query filters, paging, restart, purge. */

let host: TestHost;

beforeAll(async () => {
  host = await createTestHost({
    app: {
      register: () => {
        df.app.orchestration('quick', function* (context: OrchestrationContext) {
          return (yield context.df.callActivity('echo', context.df.getInput())) as unknown;
        });
        df.app.orchestration('parked', function* (context: OrchestrationContext) {
          yield context.df.waitForExternalEvent('go');
          return 'released';
        });
        df.app.activity('echo', { handler: (input: unknown) => input });
      },
    },
  });
});

afterAll(async () => {
  await host?.stop();
});

describe('management operations', () => {
  it('queries by status, creation time and id prefix, in pages', async () => {
    const t0 = new Date(host.clock.now());
    for (let i = 0; i < 5; i += 1)
      await host.waitForCompletion(await host.startNew('quick', { instanceId: `q-done-${i}`, input: i }));
    await host.startNew('parked', { instanceId: 'q-parked-1' });
    await host.waitFor('q-parked-1', (s) => s.runtimeStatus === 'Running');

    const running = host.runtime.queryInstances({ runtimeStatus: ['Running'], instanceIdPrefix: 'q-' });
    expect(running.instances.map((i) => i.instanceId)).toEqual(['q-parked-1']);

    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = host.runtime.queryInstances({
        instanceIdPrefix: 'q-done-',
        pageSize: 2,
        ...(token ? { continuationToken: token } : {}),
      });
      pages.push(page.instances.map((i) => i.instanceId));
      token = page.continuationToken;
    } while (token);
    expect(pages).toEqual([['q-done-0', 'q-done-1'], ['q-done-2', 'q-done-3'], ['q-done-4']]);

    const future = new Date(t0.getTime() + 60_000);
    expect(host.runtime.queryInstances({ createdTimeFrom: future }).instances).toEqual([]);
    expect(
      host.runtime.queryInstances({ createdTimeFrom: t0, instanceIdPrefix: 'q-' }).instances,
    ).toHaveLength(6);
  });

  it('restarts an instance under its own or a new id', async () => {
    const id = await host.startNew('quick', { instanceId: 'r-1', input: 'again' });
    await host.waitForCompletion(id);
    const sameId = await host.runtime.restart(id, false);
    expect(sameId).toBe('r-1');
    expect((await host.waitForCompletion('r-1')).output).toBe('again');
    const newId = await host.runtime.restart(id, true);
    expect(newId).not.toBe('r-1');
    expect((await host.waitForCompletion(newId!)).output).toBe('again');
  });

  it('purges finished instances one by one or by filter, never running ones', async () => {
    await host.waitForCompletion(await host.startNew('quick', { instanceId: 'p-1', input: 1 }));
    await host.waitForCompletion(await host.startNew('quick', { instanceId: 'p-2', input: 2 }));
    await host.startNew('parked', { instanceId: 'p-running' });
    await host.waitFor('p-running', (s) => s.runtimeStatus === 'Running');
    expect(await host.runtime.purge('p-1')).toBe(1);
    expect(host.getStatus('p-1')).toBeUndefined();
    expect(await host.runtime.purge('p-running')).toBe(0);
    expect(await host.runtime.purgeWhere({ instanceIdPrefix: 'p-' })).toBe(1);
    expect(host.getStatus('p-2')).toBeUndefined();
    expect(host.getStatus('p-running')?.runtimeStatus).toBe('Running');
  });

  it('refuses to start an instance id that is still running', async () => {
    await host.startNew('parked', { instanceId: 'dup-1' });
    await expect(host.startNew('parked', { instanceId: 'dup-1' })).rejects.toMatchObject({ status: 409 });
    await expect(host.startNew('noSuchOrchestrator')).rejects.toMatchObject({ status: 404 });
  });
});
