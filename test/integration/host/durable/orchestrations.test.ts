import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '../../../../src/testing';
import { createTestHost } from '../../../../src/testing';
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { EventType } from '../../../../src/host/durable/history';

/**
 * The Durable runtime driving real durable-functions orchestrators, activities and
 * entities in-process through the testing API, on a virtual clock.
 */

const day = 24 * 60 * 60 * 1000;
const attempts = new Map<string, number>();
let changeBehaviour = false;

function register(): void {
  df.app.activity('hello', { handler: (name: string) => `Hello, ${name}!` });
  df.app.activity('double', { handler: (n: number) => n * 2 });
  df.app.activity('flaky', {
    handler: (key: string) => {
      const count = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, count);
      if (!key.startsWith('ok-after-') || count < Number(key.split('-').pop()))
        throw new Error(`flaky failure ${count}`);
      return `succeeded on attempt ${count}`;
    },
  });
  df.app.activity('boom', {
    handler: () => {
      throw new TypeError('activity exploded');
    },
  });

  df.app.orchestration('sequence', function* (context: OrchestrationContext) {
    const cities = context.df.getInput<string[]>();
    const results: string[] = [];
    for (const city of cities) results.push((yield context.df.callActivity('hello', city)) as string);
    return results;
  });

  df.app.orchestration('fanOut', function* (context: OrchestrationContext) {
    const count = context.df.getInput<number>();
    const tasks = Array.from({ length: count }, (_, i) => context.df.callActivity('double', i));
    const results = (yield context.df.Task.all(tasks)) as number[];
    return results.reduce((a, b) => a + b, 0);
  });

  df.app.orchestration('retrying', function* (context: OrchestrationContext) {
    const { key, options } = context.df.getInput<{
      key: string;
      options: { first: number; max: number; backoff?: number; maxInterval?: number; timeout?: number };
    }>();
    const retry = new df.RetryOptions(options.first, options.max);
    if (options.backoff !== undefined) retry.backoffCoefficient = options.backoff;
    if (options.maxInterval !== undefined) retry.maxRetryIntervalInMilliseconds = options.maxInterval;
    if (options.timeout !== undefined) retry.retryTimeoutInMilliseconds = options.timeout;
    try {
      return (yield context.df.callActivityWithRetry('flaky', retry, key)) as string;
    } catch (error) {
      return `gave up: ${(error as Error).message}`;
    }
  });

  df.app.orchestration('parent', function* (context: OrchestrationContext) {
    const childId = `${context.df.instanceId}-child`;
    const fromChild = (yield context.df.callSubOrchestrator('sequence', ['Ann', 'Bo'], childId)) as string[];
    let failure = '';
    try {
      yield context.df.callSubOrchestrator('failing');
    } catch (error) {
      failure = (error as Error).message;
    }
    return { fromChild, failure };
  });

  df.app.orchestration('failing', function* (context: OrchestrationContext) {
    yield context.df.callActivity('boom');
    return 'unreachable';
  });

  df.app.orchestration('approval', function* (context: OrchestrationContext) {
    const deadline = new Date(context.df.currentUtcDateTime.getTime() + 7 * day);
    const timeout = context.df.createTimer(deadline);
    const decision = context.df.waitForExternalEvent('decision');
    const winner = (yield context.df.Task.any([decision, timeout])) as unknown;
    if (winner === decision) {
      timeout.cancel();
      return { outcome: decision.result, at: context.df.currentUtcDateTime.toISOString() };
    }
    return { outcome: 'expired', at: context.df.currentUtcDateTime.toISOString() };
  });

  df.app.orchestration('sleeper', function* (context: OrchestrationContext) {
    const start = context.df.currentUtcDateTime.getTime();
    yield context.df.createTimer(new Date(start + 7 * day));
    return context.df.currentUtcDateTime.getTime() - start;
  });

  df.app.orchestration('bufferedEvents', function* (context: OrchestrationContext) {
    yield context.df.callActivity('hello', 'first');
    const a = (yield context.df.waitForExternalEvent('a')) as number;
    const b = (yield context.df.waitForExternalEvent('b')) as number;
    return a + b;
  });

  df.app.orchestration('nested', function* (context: OrchestrationContext) {
    const first = context.df.Task.any([
      context.df.callActivity('hello', 'x'),
      context.df.waitForExternalEvent('never'),
    ]);
    const both = (yield context.df.Task.all([first, context.df.callActivity('double', 21)])) as unknown[];
    return both.length;
  });

  df.app.orchestration('counterLoop', function* (context: OrchestrationContext) {
    const n = context.df.getInput<number>();
    context.df.setCustomStatus({ iteration: n });
    yield context.df.callActivity('double', n);
    if (n < 5) {
      context.df.continueAsNew(n + 1);
      return undefined;
    }
    return `finished at ${n}`;
  });

  df.app.orchestration('throws', function* (context: OrchestrationContext) {
    yield context.df.callActivity('hello', 'before');
    throw new Error('orchestrator gave up');
  });

  df.app.orchestration('unhandledActivityFailure', function* (context: OrchestrationContext) {
    yield context.df.callActivity('boom');
  });

  df.app.orchestration('changesItsMind', function* (context: OrchestrationContext) {
    yield context.df.callActivity(changeBehaviour ? 'double' : 'hello', 'x');
    yield context.df.waitForExternalEvent('go');
    return 'done';
  });

  df.app.orchestration('waitsForever', function* (context: OrchestrationContext) {
    context.df.setCustomStatus('waiting');
    yield context.df.waitForExternalEvent('never');
  });

  df.app.entity('counter', (context) => {
    const state = (context.df.getState(() => 0) as number) ?? 0;
    switch (context.df.operationName) {
      case 'add':
        context.df.setState(state + (context.df.getInput<number>() ?? 0));
        break;
      case 'get':
        context.df.return(state);
        break;
      case 'reset':
        context.df.setState(0);
        break;
    }
  });

  df.app.orchestration('usesEntity', function* (context: OrchestrationContext) {
    const id = new df.EntityId('counter', context.df.getInput<string>());
    context.df.signalEntity(id, 'add', 5);
    yield context.df.callEntity(id, 'add', 10);
    return (yield context.df.callEntity(id, 'get')) as number;
  });

  df.app.orchestration('callsHttp', function* (context: OrchestrationContext) {
    const response = (yield context.df.callHttp({ method: 'GET', url: context.df.getInput<string>() })) as {
      statusCode: number;
      content: string;
    };
    return { status: response.statusCode, content: response.content };
  });

  app.http('unusedHttp', { methods: ['GET'], handler: () => ({ body: 'ok' }) });
}

let host: TestHost;

beforeAll(async () => {
  // Failures are this suite's subject; keep their logs out of the test output.
  host = await createTestHost({ app: { name: 'durable-inline', register }, logLevel: 'silent' });
});

afterAll(async () => {
  await host?.stop();
});

describe('orchestrations on the local Durable runtime', () => {
  it('runs activities in sequence and returns their results', async () => {
    const id = await host.startNew('sequence', { input: ['Tokyo', 'Seattle', 'London'] });
    const status = await host.waitForCompletion(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual(['Hello, Tokyo!', 'Hello, Seattle!', 'Hello, London!']);
    const types = host.history(id).map((e) => e.EventType);
    expect(types.filter((t) => t === EventType.TaskScheduled)).toHaveLength(3);
    expect(types.filter((t) => t === EventType.TaskCompleted)).toHaveLength(3);
    expect(
      host
        .history(id)
        .filter((e) => e.EventType === EventType.TaskScheduled)
        .map((e) => e.EventId),
    ).toEqual([0, 1, 2]);
  });

  it('fans out and in with Task.all', async () => {
    const id = await host.startNew('fanOut', { input: 25 });
    const status = await host.waitForCompletion(id);
    expect(status.output).toBe(2 * ((24 * 25) / 2));
  });

  it('retries with backoff until the activity succeeds', async () => {
    const id = await host.startNew('retrying', {
      input: { key: 'ok-after-3', options: { first: 1000, max: 5, backoff: 2 } },
    });
    const status = await host.waitForCompletion(id);
    expect(status.output).toBe('succeeded on attempt 3');
    const timers = host.history(id).filter((e) => e.EventType === EventType.TimerCreated);
    const scheduled = host.history(id).filter((e) => e.EventType === EventType.TaskScheduled);
    expect(scheduled.map((e) => e.EventId)).toEqual([0, 2, 4]);
    expect(timers.map((e) => e.EventId)).toEqual([1, 3]);
    // 1 s, then 2 s (backoff coefficient 2) after each failure.
    const delays = timers.map((t) => Date.parse(t.FireAt!) - Date.parse(t.Timestamp));
    expect(delays).toEqual([1000, 2000]);
  });

  it('caps the retry interval at maxRetryIntervalInMilliseconds and gives up after the last attempt', async () => {
    const id = await host.startNew('retrying', {
      input: { key: 'never-a', options: { first: 1000, max: 4, backoff: 10, maxInterval: 5000 } },
    });
    const status = await host.waitForCompletion(id);
    expect(status.output).toMatch(/^gave up: .*flaky failure 4/);
    expect(attempts.get('never-a')).toBe(4);
    const timers = host.history(id).filter((e) => e.EventType === EventType.TimerCreated);
    expect(timers.map((t) => Date.parse(t.FireAt!) - Date.parse(t.Timestamp))).toEqual([
      1000, 5000, 5000, 5000,
    ]);
  });

  it('stops running attempts once the retry timeout has passed', async () => {
    const id = await host.startNew('retrying', {
      input: { key: 'never-b', options: { first: 10_000, max: 6, timeout: 15_000 } },
    });
    const status = await host.waitForCompletion(id);
    // Failures at 0 s and 10 s fall inside the 15 s window, so retries follow; the
    // failure at 20 s is past it, so the remaining three attempts never run.
    expect(status.output).toMatch(/^gave up: .*flaky failure 3/);
    expect(attempts.get('never-b')).toBe(3);
  });

  it('runs sub-orchestrations with explicit ids and surfaces their failures', async () => {
    const id = await host.startNew('parent', { instanceId: 'family-1' });
    const status = await host.waitForCompletion(id);
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as { fromChild: string[]; failure: string };
    expect(output.fromChild).toEqual(['Hello, Ann!', 'Hello, Bo!']);
    expect(output.failure).toContain('activity exploded');
    expect(host.getStatus('family-1-child')?.runtimeStatus).toBe('Completed');
  });

  it('skips time: a 7-day timer completes at once, split into long-timer intervals', async () => {
    const started = Date.now();
    const id = await host.startNew('sleeper');
    const status = await host.waitForCompletion(id);
    expect(status.output).toBe(7 * day);
    expect(Date.now() - started).toBeLessThan(5_000);
    const timers = host.history(id).filter((e) => e.EventType === EventType.TimerCreated);
    // Over the 6-day maximum: a 3-day interval first, then the final timer 4 days later.
    expect(timers.map((t) => Date.parse(t.FireAt!) - Date.parse(timers[0]!.Timestamp))).toEqual([
      3 * day,
      7 * day,
    ]);
  });

  it('approves before the deadline when the event arrives', async () => {
    const id = await host.startNew('approval');
    await host.waitFor(id, (s) => s.runtimeStatus === 'Running');
    await host.whenIdle();
    await host.raiseEvent(id, 'decision', 'approved');
    const status = await host.waitForCompletion(id);
    expect(status.output).toMatchObject({ outcome: 'approved' });
  });

  it('does not skip time while an instance waits on an event, and expires once time passes', async () => {
    const id = await host.startNew('approval');
    await host.waitFor(id, (s) => s.runtimeStatus === 'Running');
    await host.whenIdle();
    expect(host.getStatus(id)?.runtimeStatus).toBe('Running');
    const start = host.clock.now();
    host.advanceTime(7 * day);
    const status = await host.waitForCompletion(id);
    expect(status.output).toMatchObject({ outcome: 'expired' });
    expect(Date.parse((status.output as { at: string }).at) - start).toBeGreaterThanOrEqual(7 * day - 1000);
  });

  it('buffers events raised before the orchestrator waits for them', async () => {
    const id = await host.startNew('bufferedEvents');
    await host.raiseEvent(id, 'b', 2);
    await host.raiseEvent(id, 'a', 40);
    const status = await host.waitForCompletion(id);
    expect(status.output).toBe(42);
  });

  it('supports Task.any nested inside Task.all', async () => {
    const id = await host.startNew('nested');
    expect((await host.waitForCompletion(id)).output).toBe(2);
  });

  it('continues as new with a fresh, bounded history and keeps custom status', async () => {
    const id = await host.startNew('counterLoop', { input: 1 });
    const status = await host.waitForCompletion(id);
    expect(status.output).toBe('finished at 5');
    expect(status.customStatus).toEqual({ iteration: 5 });
    const history = host.history(id);
    expect(history.filter((e) => e.EventType === EventType.ExecutionStarted)).toHaveLength(1);
    expect(history.filter((e) => e.EventType === EventType.TaskScheduled)).toHaveLength(1);
  });

  it('fails the instance with the orchestrator error', async () => {
    const id = await host.startNew('throws');
    const status = await host.waitForCompletion(id);
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toContain('orchestrator gave up');
  });

  it('fails the instance when an activity failure is not handled', async () => {
    const id = await host.startNew('unhandledActivityFailure');
    const status = await host.waitForCompletion(id);
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toContain('activity exploded');
  });

  it('detects a non-deterministic replay and names the expected and actual action', async () => {
    changeBehaviour = false;
    const id = await host.startNew('changesItsMind');
    await host.waitFor(id, () => host.history(id).some((e) => e.EventType === EventType.TaskCompleted));
    await host.whenIdle();
    changeBehaviour = true;
    await host.raiseEvent(id, 'go');
    const status = await host.waitForCompletion(id);
    changeBehaviour = false;
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toMatch(/Non-deterministic workflow detected/);
    expect(String(status.output)).toContain("activity 'hello'");
    expect(String(status.output)).toContain("activity 'double'");
  });

  it('terminates, suspends and resumes', async () => {
    const id = await host.startNew('waitsForever');
    await host.waitFor(id, (s) => s.customStatus === 'waiting');
    await host.runtime.suspend(id, 'pause');
    await host.waitFor(id, (s) => s.runtimeStatus === 'Suspended');
    await host.runtime.resume(id, 'go on');
    await host.waitFor(id, (s) => s.runtimeStatus === 'Running');
    await host.terminate(id, 'enough');
    const status = await host.waitForCompletion(id);
    expect(status.runtimeStatus).toBe('Terminated');
    expect(status.output).toBe('enough');
  });

  it('calls and signals entities, with operations serialised per entity', async () => {
    const id = await host.startNew('usesEntity', { input: 'e1' });
    expect((await host.waitForCompletion(id)).output).toBe(15);
    await Promise.all(Array.from({ length: 50 }, () => host.runtime.signalEntity('counter', 'e2', 'add', 1)));
    await host.whenIdle();
    expect(host.runtime.getEntityState('counter', 'e2')).toEqual({ exists: true, state: 50 });
  });

  it('makes durable HTTP calls', async () => {
    const server = http.createServer((_req, res) => res.end('pong'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping`;
      const id = await host.startNew('callsHttp', { input: url });
      expect((await host.waitForCompletion(id)).output).toEqual({ status: 200, content: 'pong' });
    } finally {
      server.close();
    }
  });
});
