import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/host/durable/history';
import { EventType, historyEvent } from '../../src/host/durable/history';
import type {
  DurableStore,
  EntityRecord,
  InboxMessage,
  InstanceRecord,
  StoredState,
  WorkItem,
} from '../../src/host/durable/types';

/**
 * The behaviour every DurableStore owes the engine, written once so the memory
 * store and the Azure Table store are held to exactly the same cases.
 */

export interface StoreFixture {
  /** An empty store. */
  readonly store: DurableStore;
  /** The store a restarted host would open over the same storage. */
  readonly reopen: () => Promise<DurableStore>;
}

const t0 = Date.UTC(2024, 0, 1);

export function instance(instanceId: string, fields: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    instanceId,
    name: 'Flow',
    executionId: `exec-${instanceId}`,
    runtimeStatus: 'Running',
    input: JSON.stringify({ id: instanceId }),
    output: undefined,
    customStatus: undefined,
    failureDetails: undefined,
    createdTime: new Date(t0).toISOString(),
    lastUpdatedTime: new Date(t0).toISOString(),
    parent: undefined,
    ...fields,
  };
}

export function events(count: number, from = 0, tag = 'step'): HistoryEvent[] {
  return Array.from({ length: count }, (_, i) =>
    historyEvent(EventType.TaskScheduled, new Date(t0 + from + i), {
      EventId: from + i,
      Name: `${tag}${from + i}`,
      Input: JSON.stringify({ n: from + i }),
    }),
  );
}

export function message(id: string, instanceId: string, name = 'Approval'): InboxMessage {
  return {
    id,
    instanceId,
    event: historyEvent(EventType.EventRaised, new Date(t0), { Name: name, Input: JSON.stringify(id) }),
  };
}

export function activity(id: string, instanceId: string): WorkItem {
  return {
    kind: 'activity',
    id,
    instanceId,
    executionId: `exec-${instanceId}`,
    taskScheduledId: 0,
    name: 'Work',
    input: JSON.stringify(id),
  };
}

export function signal(id: string, entityId: string): WorkItem {
  return {
    kind: 'entity',
    id,
    entityId,
    message: JSON.stringify({ op: 'add', id }),
    visibleAt: new Date(t0).toISOString(),
  };
}

export function entity(entityId: string, state: string | undefined): EntityRecord {
  return { entityId, exists: state !== undefined, state, lastModifiedTime: new Date(t0).toISOString() };
}

function historyOf(state: StoredState, instanceId: string): readonly HistoryEvent[] {
  return state.histories.get(instanceId) ?? [];
}

function byInstanceId(state: StoredState): InstanceRecord[] {
  return [...state.instances].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
}

export function durableStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`${name}: DurableStore contract`, () => {
    it('loads an empty state from an empty store', async () => {
      const { store } = await open();
      const state = await store.load();
      expect(state.instances).toEqual([]);
      expect([...state.histories]).toEqual([]);
      expect(state.inbox).toEqual([]);
      expect(state.work).toEqual([]);
      expect(state.entities).toEqual([]);
      await store.commit({});
    });

    it('round-trips instance records, the last put winning', async () => {
      const { store, reopen } = await open();
      await store.load();
      const child = instance('child', {
        runtimeStatus: 'Failed',
        output: JSON.stringify('no'),
        customStatus: JSON.stringify({ stage: 2 }),
        failureDetails: {
          ErrorType: 'Error',
          ErrorMessage: 'boom',
          StackTrace: 'at x',
          InnerFailure: { ErrorType: 'TypeError', ErrorMessage: 'inner' },
        },
        parent: { instanceId: 'parent', executionId: 'exec-parent', taskScheduledId: 3, name: 'Child' },
      });
      await store.commit({ putInstances: [instance('parent'), child] });
      const completed = instance('parent', { runtimeStatus: 'Completed', output: '42', input: undefined });
      await store.commit({ putInstances: [completed] });

      for (const state of [await store.load(), await (await reopen()).load()]) {
        expect(byInstanceId(state)).toEqual([child, completed]);
        expect(state.instances.find((r) => r.instanceId === 'parent')?.input).toBeUndefined();
      }
    });

    it('keeps history in order across many commits', async () => {
      const { store, reopen } = await open();
      await store.load();
      const all: HistoryEvent[] = [];
      for (let i = 0; i < 30; i++) {
        const batch = events(4, i * 4);
        all.push(...batch);
        await store.commit({
          putInstances: [instance('a', { lastUpdatedTime: new Date(t0 + i).toISOString() })],
          appendHistory: [{ instanceId: 'a', events: batch }],
        });
      }
      expect(historyOf(await store.load(), 'a')).toEqual(all);
      expect(historyOf(await (await reopen()).load(), 'a')).toEqual(all);
    });

    it('commits more than 100 events at once and appends after them', async () => {
      const { store, reopen } = await open();
      await store.load();
      const first = events(250);
      await store.commit({
        putInstances: [instance('big')],
        appendHistory: [{ instanceId: 'big', events: first }],
      });
      const more = events(5, 250);
      await store.commit({ appendHistory: [{ instanceId: 'big', events: more }] });
      const reopened = await (await reopen()).load();
      expect(historyOf(reopened, 'big')).toEqual([...first, ...more]);
      expect(byInstanceId(reopened)).toEqual([instance('big')]);
    });

    it('keeps history appended before the record is put', async () => {
      const { store, reopen } = await open();
      await store.load();
      await store.commit({ appendHistory: [{ instanceId: 'early', events: events(2) }] });
      const state = await (await reopen()).load();
      expect(state.instances).toEqual([]);
      expect(historyOf(state, 'early')).toEqual(events(2));
    });

    it('drops the old history on reset (continueAsNew)', async () => {
      const { store, reopen } = await open();
      await store.load();
      await store.commit({
        putInstances: [instance('loop')],
        appendHistory: [{ instanceId: 'loop', events: events(120) }],
      });
      const second = events(3, 0, 'gen2-');
      await store.commit({ appendHistory: [{ instanceId: 'loop', reset: true, events: second }] });
      await store.commit({ appendHistory: [{ instanceId: 'loop', events: events(2, 3, 'gen2-') }] });
      expect(historyOf(await (await reopen()).load(), 'loop')).toEqual(events(5, 0, 'gen2-'));

      // A reset later in the same change drops what the change appended before it.
      const third = events(2, 0, 'gen3-');
      await store.commit({
        appendHistory: [
          { instanceId: 'loop', events: events(4, 5, 'gen2-') },
          { instanceId: 'loop', reset: true, events: third },
        ],
      });
      expect(historyOf(await store.load(), 'loop')).toEqual(third);
      expect(historyOf(await (await reopen()).load(), 'loop')).toEqual(third);

      await store.commit({ appendHistory: [{ instanceId: 'loop', reset: true, events: [] }] });
      expect(historyOf(await (await reopen()).load(), 'loop')).toEqual([]);
    });

    it('adds and removes inbox messages, keeping the order they were added in', async () => {
      const { store, reopen } = await open();
      await store.load();
      const timer: InboxMessage = {
        ...message('m3', 'a', 'Timer'),
        visibleAt: new Date(t0 + 60_000).toISOString(),
      };
      await store.commit({ addInbox: [message('m1', 'a'), message('m2', 'b')] });
      await store.commit({ addInbox: [timer, message('m4', 'b')] });
      await store.commit({ addInbox: [message('m5', 'a')], removeInbox: ['m2', 'unknown'] });
      // Added and consumed within one change: never visible.
      await store.commit({ addInbox: [message('m6', 'a')], removeInbox: ['m6'] });

      const expected = [message('m1', 'a'), timer, message('m4', 'b'), message('m5', 'a')];
      expect((await store.load()).inbox).toEqual(expected);
      const reopened = await reopen();
      expect((await reopened.load()).inbox).toEqual(expected);

      await reopened.commit({ removeInbox: ['m1', 'm4'] });
      expect((await (await reopen()).load()).inbox).toEqual([timer, message('m5', 'a')]);
    });

    it('adds and removes work items of both kinds', async () => {
      const { store, reopen } = await open();
      await store.load();
      await store.commit({ addWork: [activity('w1', 'a'), signal('w2', '@counter@x'), activity('w3', 'b')] });
      await store.commit({ addWork: [signal('w4', '@counter@x')], removeWork: ['w1'] });
      const expected = [signal('w2', '@counter@x'), activity('w3', 'b'), signal('w4', '@counter@x')];
      expect((await store.load()).work).toEqual(expected);
      expect((await (await reopen()).load()).work).toEqual(expected);

      // Added again: it counts as a new item, at the end.
      await store.commit({ addWork: [activity('w2', 'a')] });
      const readded = [activity('w3', 'b'), signal('w4', '@counter@x'), activity('w2', 'a')];
      expect((await store.load()).work).toEqual(readded);
      expect((await (await reopen()).load()).work).toEqual(readded);

      await store.commit({ removeWork: ['w2', 'w3', 'w4'] });
      expect((await (await reopen()).load()).work).toEqual([]);
    });

    it('puts entity records, the last put winning', async () => {
      const { store, reopen } = await open();
      await store.load();
      await store.commit({ putEntities: [entity('@counter@a', '1'), entity('@counter@b', '5')] });
      await store.commit({ putEntities: [entity('@counter@a', '2'), entity('@counter@b', undefined)] });
      const state = await (await reopen()).load();
      const sorted = [...state.entities].sort((x, y) => x.entityId.localeCompare(y.entityId));
      expect(sorted).toEqual([entity('@counter@a', '2'), entity('@counter@b', undefined)]);
    });

    it('round-trips large payloads', async () => {
      const { store, reopen } = await open();
      await store.load();
      const big = (seed: string) => JSON.stringify({ seed, text: `${seed}é✓`.repeat((200 * 1024) / 6) });
      const input = big('input');
      const result = historyEvent(EventType.TaskCompleted, new Date(t0), {
        EventId: -1,
        TaskScheduledId: 0,
        Result: big('result'),
      });
      const bigMessage: InboxMessage = {
        ...message('big', 'large'),
        event: { ...message('big', 'large').event, Input: big('event') },
      };
      await store.commit({
        putInstances: [instance('large', { input })],
        appendHistory: [{ instanceId: 'large', events: [...events(1), result] }],
        addInbox: [bigMessage],
        addWork: [
          {
            ...(activity('big-work', 'large') as Extract<WorkItem, { kind: 'activity' }>),
            input: big('work'),
          },
        ],
        putEntities: [entity('@blob@big', big('entity'))],
      });
      const state = await (await reopen()).load();
      expect(state.instances).toEqual([instance('large', { input })]);
      expect(historyOf(state, 'large')).toEqual([...events(1), result]);
      expect(state.inbox).toEqual([bigMessage]);
      expect(state.work.map((w) => w.kind === 'activity' && w.input)).toEqual([big('work')]);
      expect(state.entities).toEqual([entity('@blob@big', big('entity'))]);

      // Replacing a large value with a small one, and the other way round.
      await store.commit({
        putInstances: [instance('large', { input: '1', output: big('output') })],
        putEntities: [entity('@blob@big', '2')],
      });
      const after = await (await reopen()).load();
      expect(after.instances).toEqual([instance('large', { input: '1', output: big('output') })]);
      expect(after.entities).toEqual([entity('@blob@big', '2')]);
    });

    it('purges an instance record, history and inbox, and nothing else', async () => {
      const { store, reopen } = await open();
      await store.load();
      for (const id of ['a', 'b']) {
        await store.commit({
          putInstances: [instance(id, { input: JSON.stringify('x'.repeat(100 * 1024)) })],
          appendHistory: [{ instanceId: id, events: events(130) }],
          addInbox: [message(`${id}-m1`, id), message(`${id}-m2`, id)],
          addWork: [activity(`${id}-w`, id)],
        });
      }
      await store.commit({ purge: ['a', 'never-existed'] });
      const reopened = await reopen();
      const state = await reopened.load();
      expect(byInstanceId(state).map((r) => r.instanceId)).toEqual(['b']);
      expect(historyOf(state, 'a')).toEqual([]);
      expect(historyOf(state, 'b')).toEqual(events(130));
      expect(state.inbox.map((m) => m.id)).toEqual(['b-m1', 'b-m2']);
      // Work is the engine's to remove: purge leaves it.
      expect(state.work.map((w) => w.id)).toEqual(['a-w', 'b-w']);

      // The id can be used again, from a clean slate; purge and put in one change leaves the new instance.
      await reopened.commit({
        putInstances: [instance('a')],
        appendHistory: [{ instanceId: 'a', events: events(1, 0, 'again') }],
      });
      await reopened.commit({
        purge: ['b'],
        putInstances: [instance('b', { name: 'Restarted' })],
        appendHistory: [{ instanceId: 'b', events: events(2, 0, 'new') }],
        addInbox: [message('b-m3', 'b')],
      });
      const final = await (await reopen()).load();
      expect(byInstanceId(final)).toEqual([instance('a'), instance('b', { name: 'Restarted' })]);
      expect(historyOf(final, 'a')).toEqual(events(1, 0, 'again'));
      expect(historyOf(final, 'b')).toEqual(events(2, 0, 'new'));
      expect(final.inbox.map((m) => m.id)).toEqual(['b-m3']);
    });

    it('lets a new store over the same storage load what an earlier one committed and carry on', async () => {
      const { store, reopen } = await open();
      await store.load();
      await store.commit({
        putInstances: [instance('r')],
        appendHistory: [{ instanceId: 'r', events: events(7) }],
        addInbox: [message('r-m1', 'r')],
        addWork: [activity('r-w1', 'r'), signal('r-w2', '@e@1')],
        putEntities: [entity('@e@1', '7')],
      });

      const second = await reopen();
      const loaded = await second.load();
      expect(byInstanceId(loaded)).toEqual([instance('r')]);
      expect(historyOf(loaded, 'r')).toEqual(events(7));
      await second.commit({
        putInstances: [instance('r', { runtimeStatus: 'Completed' })],
        appendHistory: [{ instanceId: 'r', events: events(3, 7) }],
        removeInbox: ['r-m1'],
        removeWork: ['r-w1', 'r-w2'],
        putEntities: [entity('@e@1', '8')],
      });

      const third = await (await reopen()).load();
      expect(byInstanceId(third)).toEqual([instance('r', { runtimeStatus: 'Completed' })]);
      expect(historyOf(third, 'r')).toEqual(events(10));
      expect(third.inbox).toEqual([]);
      expect(third.work).toEqual([]);
      expect(third.entities).toEqual([entity('@e@1', '8')]);
    });

    it('lands concurrent commits to 50 different instances', async () => {
      const { store, reopen } = await open();
      await store.load();
      const ids = Array.from({ length: 50 }, (_, i) => `c${i}`);
      await Promise.all(
        ids.map((id) =>
          store.commit({
            putInstances: [instance(id)],
            appendHistory: [{ instanceId: id, events: events(3) }],
            addInbox: [message(`${id}-m`, id)],
            addWork: [activity(`${id}-w`, id)],
          }),
        ),
      );
      await Promise.all(
        ids.map((id) => store.commit({ appendHistory: [{ instanceId: id, events: events(2, 3) }] })),
      );
      const state = await (await reopen()).load();
      expect(
        byInstanceId(state)
          .map((r) => r.instanceId)
          .sort(),
      ).toEqual([...ids].sort());
      for (const id of ids) expect(historyOf(state, id)).toEqual(events(5));
      expect(state.inbox.map((m) => m.id).sort()).toEqual(ids.map((id) => `${id}-m`).sort());
      expect(state.work.map((w) => w.id).sort()).toEqual(ids.map((id) => `${id}-w`).sort());
    });

    it('applies commits to one instance in call order, even when not awaited one by one', async () => {
      const { store, reopen } = await open();
      await store.load();
      const commits = Array.from({ length: 20 }, (_, i) =>
        store.commit({
          putInstances: [instance('seq', { lastUpdatedTime: new Date(t0 + i).toISOString() })],
          appendHistory: [{ instanceId: 'seq', events: events(1, i) }],
          addInbox: [message(`seq-${i}`, 'seq')],
          ...(i > 0 ? { removeInbox: [`seq-${i - 1}`] } : {}),
        }),
      );
      await Promise.all(commits);
      const state = await (await reopen()).load();
      expect(historyOf(state, 'seq')).toEqual(events(20));
      expect(state.instances).toEqual([
        instance('seq', { lastUpdatedTime: new Date(t0 + 19).toISOString() }),
      ]);
      expect(state.inbox.map((m) => m.id)).toEqual(['seq-19']);
    });

    it('journals the change as it was when committed, and hands out copies', async () => {
      const { store } = await open();
      await store.load();
      const record = instance('iso');
      const batch = events(2);
      const pending = store.commit({
        putInstances: [record],
        appendHistory: [{ instanceId: 'iso', events: batch }],
      });
      // The engine goes on mutating its in-memory objects (replay marks events played).
      record.runtimeStatus = 'Completed';
      batch[0]!.IsPlayed = true;
      await pending;

      const state = await store.load();
      expect(state.instances).toEqual([instance('iso')]);
      expect(historyOf(state, 'iso')).toEqual(events(2));
      state.instances[0]!.runtimeStatus = 'Failed';
      (state.histories.get('iso') as HistoryEvent[]).length = 0;
      const again = await store.load();
      expect(again.instances).toEqual([instance('iso')]);
      expect(historyOf(again, 'iso')).toEqual(events(2));
    });

    it('stores ids with any characters', async () => {
      const { store, reopen } = await open();
      await store.load();
      const ids = ['a/b\\c#d?e', "it's 50%", 'ünï©ødé 🚀', 'tab\there\u0001', '$0041', 'x'.repeat(600), ''];
      await store.commit({
        putInstances: ids.map((id) => instance(id)),
        appendHistory: ids.map((id) => ({ instanceId: id, events: events(2) })),
        addInbox: ids.map((id, i) => message(`${id}#${i}`, id)),
        addWork: ids.map((id, i) => activity(`w/${id}/${i}`, id)),
        putEntities: ids.map((id) => entity(`@odd/name@${id}`, JSON.stringify(id))),
      });
      const state = await (await reopen()).load();
      expect(byInstanceId(state)).toEqual(
        ids.map((id) => instance(id)).sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
      );
      for (const id of ids) expect(historyOf(state, id)).toEqual(events(2));
      expect(state.inbox.map((m) => m.id)).toEqual(ids.map((id, i) => `${id}#${i}`));
      expect(state.work.map((w) => w.id)).toEqual(ids.map((id, i) => `w/${id}/${i}`));
      expect(state.entities.map((e) => e.entityId).sort()).toEqual(ids.map((id) => `@odd/name@${id}`).sort());

      const reopened = await reopen();
      await reopened.load();
      await reopened.commit({ purge: ids, removeWork: ids.map((id, i) => `w/${id}/${i}`) });
      const purged = await (await reopen()).load();
      expect(purged.instances).toEqual([]);
      expect(purged.inbox).toEqual([]);
      expect(purged.work).toEqual([]);
    });
  });
}
