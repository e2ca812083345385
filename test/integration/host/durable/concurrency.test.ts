import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import type { TestHost } from '../../../../src/testing';
import { createTestHost } from '../../../../src/testing';

/**
 * Concurrency limits from host.json and one episode at a time per instance,
 * observed from inside the functions on a real clock.
 */

let running = 0;
let peak = 0;
let orchestratorRunning = 0;
let orchestratorPeak = 0;
const subAttempts = new Map<string, number>();
let host: TestHost;

beforeAll(async () => {
  host = await createTestHost({
    clock: 'real',
    app: {
      name: 'concurrency',
      hostJson: {
        version: '2.0',
        extensions: {
          durableTask: { maxConcurrentActivityFunctions: 3, maxConcurrentOrchestratorFunctions: 2 },
        },
      },
      register: () => {
        df.app.activity('slow', {
          handler: async (n: number) => {
            running += 1;
            peak = Math.max(peak, running);
            await new Promise((resolve) => setTimeout(resolve, 30));
            running -= 1;
            return n;
          },
        });
        // Episodes in flight, seen from the invocation hooks around each orchestrator call.
        app.hook.preInvocation((context) => {
          if (context.invocationContext.functionName !== 'wide') return;
          orchestratorRunning += 1;
          orchestratorPeak = Math.max(orchestratorPeak, orchestratorRunning);
        });
        app.hook.postInvocation((context) => {
          if (context.invocationContext.functionName === 'wide') orchestratorRunning -= 1;
        });
        df.app.orchestration('wide', function* (context: OrchestrationContext) {
          const results = (yield context.df.Task.all(
            Array.from({ length: 12 }, (_, i) => context.df.callActivity('slow', i)),
          )) as number[];
          return results.length;
        });
        df.app.orchestration('flakyChild', function* (context: OrchestrationContext) {
          const key = context.df.getInput<string>() ?? '';
          const attempt = (yield context.df.callActivity('count', key)) as number;
          if (attempt < 3) throw new Error(`child attempt ${attempt} failed`);
          return `child succeeded on attempt ${attempt}`;
        });
        df.app.activity('count', {
          handler: (key: string) => {
            const next = (subAttempts.get(key) ?? 0) + 1;
            subAttempts.set(key, next);
            return next;
          },
        });
        df.app.orchestration('retriesChild', function* (context: OrchestrationContext) {
          const retry = new df.RetryOptions(10, 5);
          return (yield context.df.callSubOrchestratorWithRetry(
            'flakyChild',
            retry,
            'k',
            `${context.df.instanceId}-c`,
          )) as string;
        });
      },
    },
  });
});

afterAll(async () => {
  await host?.stop();
});

describe('durable concurrency', () => {
  it('runs activities in parallel up to maxConcurrentActivityFunctions and episodes up to maxConcurrentOrchestratorFunctions', async () => {
    const ids = await Promise.all(Array.from({ length: 4 }, () => host.startNew('wide')));
    const statuses = await Promise.all(ids.map((id) => host.waitForCompletion(id)));
    expect(statuses.map((s) => s.output)).toEqual([12, 12, 12, 12]);
    expect(peak).toBe(3);
    expect(orchestratorPeak).toBe(2);
  });

  it('retries a failing sub-orchestration with the same instance id until it succeeds', async () => {
    const id = await host.startNew('retriesChild');
    const status = await host.waitForCompletion(id);
    expect(status.output).toBe('child succeeded on attempt 3');
    expect(host.getStatus(`${id}-c`)?.runtimeStatus).toBe('Completed');
  });
});
