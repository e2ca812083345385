import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import type { DurableStore, TestHost } from '../../../../src/testing';
import { MemoryDurableStore, createTestHost } from '../../../../src/testing';
import type { StoreChange } from '../../../../src/host/durable/types';

/**
 * Store commits of unrelated instances do not wait for each other: while every
 * commit touching one instance is held (a slow storage partition), another
 * instance runs to completion. The store still orders commits per instance, so
 * the held instance finishes correctly once its commits go through.
 */

class GatedStore implements DurableStore {
  readonly kind = 'gated-memory';
  private readonly inner = new MemoryDurableStore();
  private release: () => void = () => undefined;
  private gate: Promise<void> | undefined = new Promise<void>((resolve) => (this.release = resolve));
  held = 0;

  constructor(private readonly slowPrefix: string) {}

  load() {
    return this.inner.load();
  }

  open(): void {
    this.gate = undefined;
    this.release();
  }

  async commit(change: StoreChange): Promise<void> {
    if (this.gate !== undefined && this.touchesSlow(change)) {
      this.held += 1;
      // Held until open(); the inner store then applies held commits in call order.
      const gate = this.gate;
      const ordered = gate.then(() => this.inner.commit(change));
      return ordered;
    }
    return this.inner.commit(change);
  }

  private touchesSlow(change: StoreChange): boolean {
    const ids = [
      ...(change.putInstances ?? []).map((record) => record.instanceId),
      ...(change.appendHistory ?? []).map((entry) => entry.instanceId),
      ...(change.addInbox ?? []).map((message) => message.instanceId),
      ...(change.addWork ?? []).flatMap((item) => (item.kind === 'activity' ? [item.instanceId] : [])),
    ];
    return ids.some((id) => id.startsWith(this.slowPrefix));
  }
}

let host: TestHost;
const store = new GatedStore('slow-');

beforeAll(async () => {
  host = await createTestHost({
    clock: 'real',
    store,
    app: {
      name: 'commit-independence',
      register: () => {
        df.app.activity('double', { handler: (n: number) => n * 2 });
        df.app.orchestration('chain', function* (context: OrchestrationContext) {
          let value = context.df.getInput<number>() ?? 1;
          for (let step = 0; step < 3; step += 1)
            value = (yield context.df.callActivity('double', value)) as number;
          return value;
        });
      },
    },
  });
});

afterAll(async () => {
  store.open();
  await host?.stop();
});

describe('durable commits', () => {
  it('let one instance finish while commits of another are held, then the held one finishes too', async () => {
    // Its first commit is held, so this start does not resolve until the gate opens.
    const slowStarted = host.startNew('chain', { instanceId: 'slow-1', input: 1 });
    const fast = await host.startNew('chain', { instanceId: 'fast-1', input: 5 });
    const done = await host.waitForCompletion(fast, { timeoutMs: 10_000 });
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toBe(40);
    expect(store.held).toBeGreaterThan(0);

    store.open();
    await slowStarted;
    const slow = await host.waitForCompletion('slow-1', { timeoutMs: 10_000 });
    expect(slow.output).toBe(8);
  });
});
