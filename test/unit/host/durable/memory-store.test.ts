import { describe, expect, it } from 'vitest';
import { MemoryDurableStore } from '../../../../src/host/durable/stores/memory-store';
import { durableStoreContract, events, instance } from '../../../support/durable-store-contract';

/**
 * The memory store backs unit tests and benchmarks of the engine; a restart is
 * simulated by a second engine over the same store object, so it must behave
 * exactly like the durable stores (the shared contract) and never share objects.
 */

durableStoreContract('MemoryDurableStore', async () => {
  const store = new MemoryDurableStore();
  return { store, reopen: async () => store };
});

describe('MemoryDurableStore', () => {
  it('says what it is', () => {
    expect(new MemoryDurableStore().kind).toBe('memory');
  });

  it('keeps loaded objects and committed ones apart from its own', async () => {
    const store = new MemoryDurableStore();
    const change = { putInstances: [instance('a')], appendHistory: [{ instanceId: 'a', events: events(1) }] };
    await store.commit(change);
    change.putInstances[0]!.name = 'Changed';
    change.appendHistory[0]!.events[0]!.Name = 'Changed';
    const first = await store.load();
    expect(first.instances[0]).not.toBe((await store.load()).instances[0]);
    expect(first.instances).toEqual([instance('a')]);
    expect(first.histories.get('a')).toEqual(events(1));
  });
});
