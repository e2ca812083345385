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
 * The store for tests and benchmarks: committed state lives in Maps of this
 * object, so a second engine over the same store sees exactly what the first
 * one committed (a simulated restart) without any I/O.
 *
 * A change is applied in a fixed order that the Azure Table store follows too:
 * purge, instances, history, inbox adds then removes, work adds then removes,
 * entities. So an id added and removed in one change ends up absent, and a
 * purge followed by a put of the same instance in one change leaves the new one.
 */
export class MemoryDurableStore implements DurableStore {
  readonly kind = 'memory';

  private readonly instances = new Map<string, InstanceRecord>();
  private readonly histories = new Map<string, HistoryEvent[]>();
  private readonly inbox = new Map<string, InboxMessage>();
  private readonly work = new Map<string, WorkItem>();
  private readonly entities = new Map<string, EntityRecord>();

  async load(): Promise<StoredState> {
    // Copies, so an engine mutating what it loaded cannot reach into the store.
    return structuredClone({
      instances: [...this.instances.values()],
      histories: new Map([...this.histories].filter(([, events]) => events.length > 0)),
      inbox: [...this.inbox.values()],
      work: [...this.work.values()],
      entities: [...this.entities.values()],
    });
  }

  async commit(change: StoreChange): Promise<void> {
    // One clone of the change isolates the store from later mutation by the caller.
    const c = structuredClone(change);
    for (const instanceId of c.purge ?? []) {
      this.instances.delete(instanceId);
      this.histories.delete(instanceId);
      for (const [id, message] of this.inbox) if (message.instanceId === instanceId) this.inbox.delete(id);
    }
    for (const record of c.putInstances ?? []) this.instances.set(record.instanceId, record);
    for (const { instanceId, reset, events } of c.appendHistory ?? []) {
      let history = this.histories.get(instanceId);
      if (!history || reset) {
        history = [];
        this.histories.set(instanceId, history);
      }
      // A loop, not push(...events): a spread of a very long history can overflow the stack.
      for (const event of events) history.push(event);
    }
    // Delete first, so a re-added id moves to the end, as it does in the table store.
    for (const message of c.addInbox ?? []) {
      this.inbox.delete(message.id);
      this.inbox.set(message.id, message);
    }
    for (const id of c.removeInbox ?? []) this.inbox.delete(id);
    for (const item of c.addWork ?? []) {
      this.work.delete(item.id);
      this.work.set(item.id, item);
    }
    for (const id of c.removeWork ?? []) this.work.delete(id);
    for (const entity of c.putEntities ?? []) this.entities.set(entity.entityId, entity);
  }
}
