import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, inject, it } from 'vitest';
import { MemoryOrchestrationStore } from '../../../src/adapters/memory/memory-orchestration-store';
import { MemoryTranscriptStore } from '../../../src/adapters/memory/memory-transcript-store';
import { BlobTranscriptStore } from '../../../src/adapters/azure/blob-transcript-store';
import { TableOrchestrationStore } from '../../../src/adapters/azure/table-orchestration-store';
import type {
  OrchestrationRecord,
  OrchestrationStore,
} from '../../../src/kernel/orchestrations/orchestration-store';
import type { TranscriptStore } from '../../../src/kernel/transcripts';

const unique = () => `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

function record(id: string, minute: number, app: string | null = null, agents = ['a1']): OrchestrationRecord {
  return {
    orchestration_id: id,
    fingerprint: `fp-${id}`,
    app_id: app,
    workflow: 'sequential',
    agent_ids: agents,
    purpose: { purpose: 'p', purpose_scope: 's' },
    callback_url: null,
    created_at: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
    stop_requested: false,
  };
}

function orchestrationStoreContract(name: string, open: () => OrchestrationStore): void {
  describe(`${name} orchestration store`, () => {
    it('creates once and returns the existing record for a duplicate id', async () => {
      const store = open();
      expect((await store.create(record('o/1 x', 1))).created).toBe(true);
      const again = await store.create({ ...record('o/1 x', 2), fingerprint: 'other' });
      expect(again.created).toBe(false);
      expect(again.record.fingerprint).toBe('fp-o/1 x');
      expect((await store.get('o/1 x'))?.created_at).toBe(record('o/1 x', 1).created_at);
      expect(await store.get('missing')).toBeUndefined();
    });

    it('lists newest first, filters by app and agent, and pages', async () => {
      const store = open();
      for (let i = 0; i < 5; i += 1)
        await store.create(record(`l-${i}`, i, 'app1', i % 2 === 0 ? ['even'] : ['odd']));
      await store.create(record('other-app', 9, 'app2'));
      const first = await store.list({ app_id: 'app1', limit: 2 });
      expect(first.records.map((r) => r.orchestration_id)).toEqual(['l-4', 'l-3']);
      const second = await store.list({ app_id: 'app1', limit: 2, continuation: first.continuation! });
      expect(second.records.map((r) => r.orchestration_id)).toEqual(['l-2', 'l-1']);
      const third = await store.list({ app_id: 'app1', limit: 2, continuation: second.continuation! });
      expect(third.records.map((r) => r.orchestration_id)).toEqual(['l-0']);
      expect(third.continuation).toBeUndefined();
      const even = await store.list({ app_id: 'app1', agent_id: 'even', limit: 10 });
      expect(even.records.map((r) => r.orchestration_id)).toEqual(['l-4', 'l-2', 'l-0']);
    });

    it('records a stop request', async () => {
      const store = open();
      await store.create(record('s-1', 1));
      await store.update('s-1', { stop_requested: true });
      expect((await store.get('s-1'))?.stop_requested).toBe(true);
    });
  });
}

function transcriptContract(name: string, open: () => TranscriptStore): void {
  describe(`${name} transcript store`, () => {
    it('appends in order and reads ranges', async () => {
      const store = open();
      const id = unique();
      expect(await store.length(id)).toBe(0);
      await store.append(id, [{ turn: 1, speaker: 'a', message: 'one', at: 't1' }]);
      const length = await store.append(id, [
        { turn: 2, speaker: 'b', message: 'two', output: { x: 1 }, at: 't2' },
        { turn: 3, speaker: 'user:ann', message: 'three', at: 't3' },
      ]);
      expect(length).toBe(3);
      expect((await store.read(id)).map((e) => e.message)).toEqual(['one', 'two', 'three']);
      expect((await store.read(id, { from: 1, limit: 1 }))[0]).toEqual({
        turn: 2,
        speaker: 'b',
        message: 'two',
        output: { x: 1 },
        at: 't2',
      });
    });
  });
}

orchestrationStoreContract('memory', () => new MemoryOrchestrationStore());
orchestrationStoreContract(
  'Azure Table',
  () =>
    new TableOrchestrationStore(
      TableClient.fromConnectionString(inject('azuriteConnectionString'), unique(), {
        allowInsecureConnection: true,
      }),
    ),
);
transcriptContract('memory', () => new MemoryTranscriptStore());
transcriptContract(
  'Blob',
  () =>
    new BlobTranscriptStore(
      BlobServiceClient.fromConnectionString(inject('azuriteConnectionString')).getContainerClient(unique()),
    ),
);
