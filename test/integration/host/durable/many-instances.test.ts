import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import type { TestHost } from '../../../../src/testing';
import { createTestHost } from '../../../../src/testing';
import { EventType } from '../../../../src/host/durable/history';

/** Scale: many instances at once, none lost, none run twice. */

let host: TestHost;
const executions = new Map<string, number>();

beforeAll(async () => {
  host = await createTestHost({
    app: {
      name: 'many',
      hostJson: {
        version: '2.0',
        extensions: {
          durableTask: { maxConcurrentActivityFunctions: 50, maxConcurrentOrchestratorFunctions: 50 },
        },
      },
      register: () => {
        df.app.activity('mark', {
          handler: (key: string) => {
            executions.set(key, (executions.get(key) ?? 0) + 1);
            return key;
          },
        });
        df.app.orchestration('pair', function* (context: OrchestrationContext) {
          const id = context.df.instanceId;
          const a = (yield context.df.callActivity('mark', `${id}:a`)) as string;
          const b = (yield context.df.callActivity('mark', `${id}:b`)) as string;
          return [a, b];
        });
      },
    },
  });
});

afterAll(async () => {
  await host?.stop();
});

describe('1,000 concurrent instances', () => {
  it('all complete, each activity ran exactly once, none lost or duplicated', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `many-${i}`);
    await Promise.all(ids.map((instanceId) => host.startNew('pair', { instanceId })));
    const statuses = await Promise.all(ids.map((id) => host.waitForCompletion(id, { timeoutMs: 60_000 })));
    for (const [index, status] of statuses.entries()) {
      expect(status.runtimeStatus).toBe('Completed');
      expect(status.output).toEqual([`${ids[index]}:a`, `${ids[index]}:b`]);
      expect(host.history(ids[index]!).filter((e) => e.EventType === EventType.TaskCompleted)).toHaveLength(
        2,
      );
    }
    expect(executions.size).toBe(2000);
    expect([...executions.values()].every((count) => count === 1)).toBe(true);
  }, 120_000);
});
