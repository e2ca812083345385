/**
 * The Durable management API driven by the real durable-functions DurableClient
 * (obtained through df.getClient) and by plain fetch, against an in-memory engine
 * double, so the routes, status codes and bodies are the ones the library expects.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpRequest, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import type { SystemHandler } from '../../../../src/host/http/http-host';
import {
  createDurableClientData,
  createDurableManagementHandler,
} from '../../../../src/host/durable/management-api';
import type {
  DurableEngineApi,
  InstanceQuery,
  InstanceStatusView,
  ManagementResult,
  RuntimeStatus,
  StatusOptions,
} from '../../../../src/host/durable/types';
import { terminalStatuses } from '../../../../src/host/durable/types';

class FakeRuntimeError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

interface FakeInstance {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
}

class FakeEngine implements DurableEngineApi {
  readonly taskHubName = 'hub';
  readonly instances = new Map<string, FakeInstance>();
  readonly events: { instanceId: string; eventName: string; data: unknown }[] = [];
  readonly operations: { operation: string; instanceId: string; reason: string }[] = [];
  readonly signals: { name: string; key: string; operation: string; input: unknown }[] = [];
  readonly entities = new Map<string, unknown>();
  readonly queries: InstanceQuery[] = [];
  readonly statusOptions: StatusOptions[] = [];
  readonly purgeQueries: InstanceQuery[] = [];
  /** Page size when the caller gives none, small so the library has to follow continuation tokens. */
  defaultPageSize = 2;
  private sequence = 0;
  private clock = Date.parse('2024-01-01T00:00:00Z');

  hasOrchestrator(name: string): boolean {
    return ['hello', 'waiter'].includes(name.toLowerCase());
  }

  async startOrchestration(
    name: string,
    options: { instanceId?: string | undefined; input?: unknown },
  ): Promise<string> {
    if (!this.hasOrchestrator(name)) {
      throw new FakeRuntimeError(404, `The function '${name}' doesn't exist.`);
    }
    const instanceId = options.instanceId ?? `generated${++this.sequence}`;
    const existing = this.instances.get(instanceId);
    if (existing && !terminalStatuses.has(existing.runtimeStatus)) {
      throw new FakeRuntimeError(409, `An instance with ID '${instanceId}' already exists.`);
    }
    this.clock += 1000;
    const time = new Date(this.clock).toISOString();
    this.instances.set(instanceId, {
      name,
      instanceId,
      runtimeStatus: 'Running',
      input: options.input,
      output: undefined,
      createdTime: time,
      lastUpdatedTime: time,
    });
    return instanceId;
  }

  getStatus(instanceId: string, options: StatusOptions = {}): InstanceStatusView | undefined {
    this.statusOptions.push(options);
    const instance = this.instances.get(instanceId);
    return instance && this.view(instance, options);
  }

  private view(instance: FakeInstance, options: StatusOptions): InstanceStatusView {
    return {
      name: instance.name,
      instanceId: instance.instanceId,
      runtimeStatus: instance.runtimeStatus,
      input: options.showInput === false ? null : (instance.input ?? null),
      customStatus: null,
      output: instance.output ?? null,
      createdTime: instance.createdTime,
      lastUpdatedTime: instance.lastUpdatedTime,
      ...(options.showHistory
        ? {
            historyEvents: [
              {
                EventType: 'ExecutionStarted',
                FunctionName: instance.name,
                ...(options.showHistoryOutput ? { Input: instance.input } : {}),
              },
            ],
          }
        : {}),
    };
  }

  private matching(query: InstanceQuery): FakeInstance[] {
    return [...this.instances.values()].filter(
      (i) =>
        (!query.runtimeStatus || query.runtimeStatus.includes(i.runtimeStatus)) &&
        (!query.createdTimeFrom || Date.parse(i.createdTime) >= query.createdTimeFrom.getTime()) &&
        (!query.createdTimeTo || Date.parse(i.createdTime) <= query.createdTimeTo.getTime()) &&
        (!query.instanceIdPrefix || i.instanceId.startsWith(query.instanceIdPrefix)),
    );
  }

  queryInstances(
    query: InstanceQuery,
    options: StatusOptions = {},
  ): { instances: InstanceStatusView[]; continuationToken?: string | undefined } {
    this.queries.push(query);
    const all = this.matching(query);
    const offset = query.continuationToken ? Number(query.continuationToken.replace('page:', '')) : 0;
    const size = query.pageSize ?? this.defaultPageSize;
    const next = offset + size < all.length ? `page:${offset + size}` : undefined;
    return {
      instances: all.slice(offset, offset + size).map((i) => this.view(i, options)),
      ...(next ? { continuationToken: next } : {}),
    };
  }

  private check(instanceId: string): ManagementResult | FakeInstance {
    const instance = this.instances.get(instanceId);
    if (!instance) return 'notFound';
    return terminalStatuses.has(instance.runtimeStatus) ? 'gone' : instance;
  }

  async raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<ManagementResult> {
    const instance = this.check(instanceId);
    if (typeof instance === 'string') return instance;
    this.events.push({ instanceId, eventName, data });
    return 'accepted';
  }

  private async transition(
    operation: string,
    instanceId: string,
    reason: string,
    status: RuntimeStatus,
  ): Promise<ManagementResult> {
    const instance = this.check(instanceId);
    if (typeof instance === 'string') return instance;
    this.operations.push({ operation, instanceId, reason });
    instance.runtimeStatus = status;
    return 'accepted';
  }

  terminate(instanceId: string, reason: string): Promise<ManagementResult> {
    return this.transition('terminate', instanceId, reason, 'Terminated');
  }

  suspend(instanceId: string, reason: string): Promise<ManagementResult> {
    return this.transition('suspend', instanceId, reason, 'Suspended');
  }

  resume(instanceId: string, reason: string): Promise<ManagementResult> {
    return this.transition('resume', instanceId, reason, 'Running');
  }

  async restart(instanceId: string, restartWithNewInstanceId: boolean): Promise<string | undefined> {
    const instance = this.instances.get(instanceId);
    if (!instance) return undefined;
    return this.startOrchestration(instance.name, {
      instanceId: restartWithNewInstanceId ? undefined : instanceId,
      input: instance.input,
    });
  }

  async purge(instanceId: string): Promise<number> {
    const instance = this.instances.get(instanceId);
    if (!instance || !terminalStatuses.has(instance.runtimeStatus)) return 0;
    this.instances.delete(instanceId);
    return 1;
  }

  async purgeWhere(query: InstanceQuery): Promise<number> {
    this.purgeQueries.push(query);
    const targets = this.matching(query).filter((i) => terminalStatuses.has(i.runtimeStatus));
    for (const target of targets) this.instances.delete(target.instanceId);
    return targets.length;
  }

  getEntityState(name: string, key: string): { exists: boolean; state: unknown } | undefined {
    const id = `@${name.toLowerCase()}@${key}`;
    return this.entities.has(id) ? { exists: true, state: this.entities.get(id) } : undefined;
  }

  async signalEntity(name: string, key: string, operation: string, input: unknown): Promise<void> {
    this.signals.push({ name, key, operation, input });
  }

  finish(instanceId: string, runtimeStatus: RuntimeStatus, output?: unknown): void {
    const instance = this.instances.get(instanceId)!;
    instance.runtimeStatus = runtimeStatus;
    instance.output = output;
  }
}

const prefix = '/runtime/webhooks/durabletask';
let server: http.Server;
let baseUrl: string;
let engine: FakeEngine;
let handler: SystemHandler;
let client: DurableClient;
const savedHostname = process.env['WEBSITE_HOSTNAME'];

function newClient(): DurableClient {
  const binding = df.input.durableClient();
  const context = new InvocationContext({
    functionName: 'starter',
    options: { extraInputs: [binding] },
    logHandler: () => undefined,
  });
  context.extraInputs.set(binding, createDurableClientData(baseUrl, 'hub'));
  return df.getClient(context);
}

function api(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${baseUrl}${prefix}/${path}`, init);
}

function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    void handler(req, res, url).then((handled) => {
      if (!handled) {
        res.writeHead(418, { 'content-type': 'text/plain' });
        res.end('not a durable path');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  process.env['WEBSITE_HOSTNAME'] = `127.0.0.1:${port}`;
});

afterAll(async () => {
  if (savedHostname === undefined) delete process.env['WEBSITE_HOSTNAME'];
  else process.env['WEBSITE_HOSTNAME'] = savedHostname;
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

beforeEach(() => {
  engine = new FakeEngine();
  handler = createDurableManagementHandler(engine, { baseUrl: () => baseUrl });
  client = newClient();
});

describe('createDurableClientData', () => {
  it('formats the webhook URLs as the extension does, with the RPC API under the same prefix', () => {
    const data = createDurableClientData('http://localhost:7071/', 'myHub');
    const root = 'http://localhost:7071/runtime/webhooks/durabletask';
    const query = 'taskHub=myHub&connection=Storage&code=local';
    expect(data).toEqual({
      taskHubName: 'myHub',
      creationUrls: {
        createNewInstancePostUri: `${root}/orchestrators/{functionName}[/{instanceId}]?code=local`,
        createAndWaitOnNewInstancePostUri: `${root}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=local`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `${root}/instances/INSTANCEID?${query}`,
        sendEventPostUri: `${root}/instances/INSTANCEID/raiseEvent/{eventName}?${query}`,
        terminatePostUri: `${root}/instances/INSTANCEID/terminate?reason={text}&${query}`,
        rewindPostUri: `${root}/instances/INSTANCEID/rewind?reason={text}&${query}`,
        purgeHistoryDeleteUri: `${root}/instances/INSTANCEID?${query}`,
        restartPostUri: `${root}/instances/INSTANCEID/restart?${query}`,
        suspendPostUri: `${root}/instances/INSTANCEID/suspend?reason={text}&${query}`,
        resumePostUri: `${root}/instances/INSTANCEID/resume?reason={text}&${query}`,
      },
      baseUrl: root,
      requiredQueryStringParameters: 'code=local',
      rpcBaseUrl: `${root}/`,
    });
  });
});

describe('DurableClient against the management API', () => {
  it('starts instances with and without an instance id, and refuses a running duplicate', async () => {
    const generated = await client.startNew('hello', { input: { city: 'Seattle' } });
    expect(generated).toBe('generated1');
    expect(engine.instances.get(generated)?.input).toEqual({ city: 'Seattle' });

    const chosen = await client.startNew('hello', { instanceId: 'order-42' });
    expect(chosen).toBe('order-42');
    // Without input the library posts "" and axios sends it as the JSON string `""`, as it does in Azure.
    expect(engine.instances.get('order-42')?.input).toBe('');

    await expect(client.startNew('hello', { instanceId: 'order-42' })).rejects.toThrow(/status code: 409/);
    engine.finish('order-42', 'Completed', 'done');
    await expect(client.startNew('hello', { instanceId: 'order-42', input: 2 })).resolves.toBe('order-42');
    await expect(client.startNew('missing')).rejects.toThrow(/status code: 404.*doesn't exist/);
  });

  it('reads an instance status, running or finished, and reports an unknown one', async () => {
    const id = await client.startNew('hello', { input: 'in' });
    const running = await client.getStatus(id);
    expect(running).toMatchObject({ name: 'hello', instanceId: id, runtimeStatus: 'Running', input: 'in' });
    expect(running.createdTime).toBeInstanceOf(Date);
    expect(running.history).toBeUndefined();

    engine.finish(id, 'Completed', { answer: 42 });
    const done = await client.getStatus(id);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: { answer: 42 } });

    await expect(client.getStatus('nobody')).rejects.toThrow(/HTTP 404/);
  });

  it('passes showHistory, showHistoryOutput and showInput through', async () => {
    const id = await client.startNew('hello', { input: 'secret' });
    engine.statusOptions.length = 0;
    const status = await client.getStatus(id, { showHistory: true, showHistoryOutput: true });
    expect(engine.statusOptions).toEqual([{ showHistory: true, showHistoryOutput: true, showInput: true }]);
    expect(status.input).toBe('secret');
    expect(status.history).toEqual([
      { EventType: 'ExecutionStarted', FunctionName: 'hello', Input: 'secret' },
    ]);

    // The library only sends flags that are true, so showInput=false is checked with plain fetch.
    const res = await api(`instances/${id}?showInput=False&showHistory=true`);
    expect(engine.statusOptions[1]).toEqual({
      showHistory: true,
      showHistoryOutput: false,
      showInput: false,
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body['input']).toBeNull();
    expect(body['historyEvents']).toEqual([{ EventType: 'ExecutionStarted', FunctionName: 'hello' }]);
  });

  it('lists instances by filter, following continuation tokens across pages', async () => {
    for (let i = 0; i < 5; i++) await client.startNew('hello', { instanceId: `job-${i}`, input: i });
    for (const i of [0, 2, 3]) engine.finish(`job-${i}`, 'Completed', i * 10);

    const all = await client.getStatusAll();
    expect(all.map((s) => s.instanceId)).toEqual(['job-0', 'job-1', 'job-2', 'job-3', 'job-4']);
    expect(engine.queries.map((q) => q.continuationToken)).toEqual([undefined, 'page:2', 'page:4']);

    engine.queries.length = 0;
    const from = new Date(Date.parse(engine.instances.get('job-1')!.createdTime));
    const completed = await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Completed] });
    expect(completed.map((s) => [s.instanceId, s.output])).toEqual([
      ['job-0', 0],
      ['job-2', 20],
      ['job-3', 30],
    ]);
    expect(engine.queries).toHaveLength(2);
    expect(engine.queries[1]).toMatchObject({ runtimeStatus: ['Completed'], continuationToken: 'page:2' });

    const later = await client.getStatusBy({
      createdTimeFrom: from,
      runtimeStatus: [df.OrchestrationRuntimeStatus.Completed, df.OrchestrationRuntimeStatus.Running],
    });
    expect(later.map((s) => s.instanceId)).toEqual(['job-1', 'job-2', 'job-3', 'job-4']);
  });

  it('raises events, and treats finished and unknown instances as the library expects', async () => {
    const id = await client.startNew('waiter');
    await client.raiseEvent(id, 'approval', { ok: true });
    await client.raiseEvent(id, 'nudge', undefined);
    expect(engine.events).toEqual([
      { instanceId: id, eventName: 'approval', data: { ok: true } },
      { instanceId: id, eventName: 'nudge', data: null },
    ]);
    engine.finish(id, 'Completed');
    await expect(client.raiseEvent(id, 'late', 1)).resolves.toBeUndefined();
    await expect(client.raiseEvent('nobody', 'approval', 1)).rejects.toThrow(/No instance with ID 'nobody'/);
    expect(engine.events).toHaveLength(2);
  });

  it('terminates, suspends and resumes with a reason', async () => {
    const a = await client.startNew('waiter');
    const b = await client.startNew('waiter');
    await client.suspend(a, 'pause please');
    expect(engine.instances.get(a)?.runtimeStatus).toBe('Suspended');
    expect((await client.getStatus(a)).runtimeStatus).toBe('Suspended');
    await client.resume(a, 'go on');
    await client.terminate(b, 'no longer needed');
    expect(engine.operations).toEqual([
      { operation: 'suspend', instanceId: a, reason: 'pause please' },
      { operation: 'resume', instanceId: a, reason: 'go on' },
      { operation: 'terminate', instanceId: b, reason: 'no longer needed' },
    ]);
    await expect(client.terminate(b, 'again')).resolves.toBeUndefined();
    await expect(client.suspend('nobody', 'x')).rejects.toThrow(/No instance with ID 'nobody'/);
    await expect(client.resume('nobody', 'x')).rejects.toThrow(/No instance with ID 'nobody'/);
    await expect(client.terminate('nobody', 'x')).rejects.toThrow(/No instance with ID 'nobody'/);
  });

  it('purges one instance and instances by filter', async () => {
    const running = await client.startNew('hello');
    const done = await client.startNew('hello');
    engine.finish(done, 'Completed');
    await expect(client.purgeInstanceHistory(running)).rejects.toThrow(/status code: 412/);
    await expect(client.purgeInstanceHistory(done)).resolves.toEqual({ instancesDeleted: 1 });
    await expect(client.purgeInstanceHistory(done)).resolves.toEqual({ instancesDeleted: 0 });

    for (let i = 0; i < 3; i++)
      engine.finish(await client.startNew('hello'), i === 0 ? 'Failed' : 'Completed');
    const from = new Date('2023-12-31T00:00:00Z');
    const result = await client.purgeInstanceHistoryBy({
      createdTimeFrom: from,
      runtimeStatus: [df.OrchestrationRuntimeStatus.Completed],
    });
    expect(result).toEqual({ instancesDeleted: 2 });
    expect(engine.purgeQueries[0]).toMatchObject({ createdTimeFrom: from, runtimeStatus: ['Completed'] });
    expect(engine.purgeQueries[0]?.createdTimeTo).toBeInstanceOf(Date);
    await expect(
      client.purgeInstanceHistoryBy({
        createdTimeFrom: from,
        runtimeStatus: [df.OrchestrationRuntimeStatus.Completed],
      }),
    ).resolves.toEqual({ instancesDeleted: 0 });
    expect([...engine.instances.values()].map((i) => i.runtimeStatus).sort()).toEqual(['Failed', 'Running']);
  });

  it('reads entity state and signals entities', async () => {
    engine.entities.set('@counter@a', 5);
    engine.entities.set('@counter@empty', undefined);
    await expect(client.readEntityState(new df.EntityId('Counter', 'a'))).resolves.toEqual({
      entityExists: true,
      entityState: 5,
    });
    await expect(client.readEntityState(new df.EntityId('counter', 'empty'))).resolves.toEqual({
      entityExists: true,
      entityState: null,
    });
    await expect(client.readEntityState(new df.EntityId('counter', 'b'))).resolves.toEqual({
      entityExists: false,
    });

    await client.signalEntity(new df.EntityId('Counter', 'a'), 'add', { by: 2 });
    await client.signalEntity(new df.EntityId('counter', 'John Smith'), 'reset');
    expect(engine.signals).toEqual([
      { name: 'Counter', key: 'a', operation: 'add', input: { by: 2 } },
      { name: 'counter', key: 'John Smith', operation: 'reset', input: undefined },
    ]);
  });

  it('answers rewind with 501 for failed instances and says why otherwise', async () => {
    const id = await client.startNew('hello');
    await expect(client.rewind(id, 'retry')).rejects.toThrow(/only orchestrations in the "Failed" state/);
    engine.finish(id, 'Failed');
    await expect(client.rewind(id, 'retry')).rejects.toThrow(
      /Rewind is not supported by the local Durable runtime/,
    );
    await expect(client.rewind('nobody', 'retry')).rejects.toThrow(
      /No orchestration with instance ID "nobody"/,
    );
  });

  it('hands out check-status URLs that point at this server and work', async () => {
    const id = await client.startNew('waiter', { input: 'x' });
    const request = new HttpRequest({ method: 'POST', url: `${baseUrl}/api/start` });
    const response = client.createCheckStatusResponse(request, id);
    expect(response.status).toBe(202);
    const payload = (await response.json()) as Record<string, string>;
    const root = `${baseUrl}${prefix}/instances/${id}`;
    expect(payload['id']).toBe(id);
    expect(payload['statusQueryGetUri']).toBe(`${root}?taskHub=hub&connection=Storage&code=local`);
    expect(response.headers.get('location')).toBe(payload['statusQueryGetUri']);

    const pending = await fetch(payload['statusQueryGetUri']!);
    expect(pending.status).toBe(202);
    expect(pending.headers.get('location')).toBe(payload['statusQueryGetUri']);
    expect(pending.headers.get('retry-after')).toBe('5');
    expect(await pending.json()).toMatchObject({
      instanceId: id,
      runtimeStatus: 'Running',
      input: 'x',
      output: null,
    });

    const sent = await postJson(payload['sendEventPostUri']!.replace('{eventName}', 'approval'), 'yes');
    expect(sent.status).toBe(202);
    expect(engine.events).toEqual([{ instanceId: id, eventName: 'approval', data: 'yes' }]);

    const suspended = await fetch(payload['suspendPostUri']!.replace('{text}', 'hold on'), {
      method: 'POST',
    });
    expect(suspended.status).toBe(202);
    const resumed = await fetch(payload['resumePostUri']!.replace('{text}', 'go'), { method: 'POST' });
    expect(resumed.status).toBe(202);
    const terminated = await fetch(payload['terminatePostUri']!.replace('{text}', 'stop'), {
      method: 'POST',
    });
    expect(terminated.status).toBe(202);
    expect(engine.operations.map((o) => [o.operation, o.reason])).toEqual([
      ['suspend', 'hold on'],
      ['resume', 'go'],
      ['terminate', 'stop'],
    ]);

    const finished = await fetch(payload['statusQueryGetUri']!);
    expect(finished.status).toBe(200);
    expect(finished.headers.get('location')).toBeNull();
    const gone = await postJson(payload['sendEventPostUri']!.replace('{eventName}', 'approval'), 1);
    expect(gone.status).toBe(410);

    const restarted = await fetch(payload['restartPostUri']!, { method: 'POST' });
    expect(restarted.status).toBe(202);
    const restartBody = (await restarted.json()) as Record<string, string>;
    expect(restartBody['id']).not.toBe(id);
    expect(engine.instances.get(restartBody['id']!)?.input).toBe('x');
    expect(restarted.headers.get('location')).toBe(restartBody['statusQueryGetUri']);

    const purged = await fetch(payload['purgeHistoryDeleteUri']!, { method: 'DELETE' });
    expect(purged.status).toBe(200);
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
  });

  it('builds an HTTP management payload and a Failed status as the extension does', async () => {
    const id = await client.startNew('hello');
    const links = client.createHttpManagementPayload(id);
    engine.finish(id, 'Failed', 'boom');
    const ok = await fetch(links.statusQueryGetUri);
    expect(ok.status).toBe(200);
    const strict = await fetch(`${links.statusQueryGetUri}&returnInternalServerErrorOnFailure=true`);
    expect(strict.status).toBe(500);
    expect(await strict.json()).toMatchObject({ runtimeStatus: 'Failed', output: 'boom' });
  });
});

describe('the HTTP start API and the restart operation from outside', () => {
  it('starts an instance like the extension: 202, the management payload and Location', async () => {
    const res = await api('orchestrators/hello/my-id?code=whatever', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 1 }),
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual([
      'id',
      'statusQueryGetUri',
      'sendEventPostUri',
      'terminatePostUri',
      'purgeHistoryDeleteUri',
      'restartPostUri',
      'suspendPostUri',
      'resumePostUri',
    ]);
    expect(body['id']).toBe('my-id');
    expect(res.headers.get('location')).toBe(
      `${baseUrl}${prefix}/instances/my-id?taskHub=hub&connection=Storage&code=local`,
    );
    expect(res.headers.get('retry-after')).toBe('10');
    expect(engine.instances.get('my-id')?.input).toEqual({ n: 1 });

    const generated = await api('orchestrators/hello', { method: 'POST' });
    expect(generated.status).toBe(202);
    expect(((await generated.json()) as { id: string }).id).toBe('generated1');

    const duplicate = await api('orchestrators/hello/my-id', { method: 'POST' });
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toMatchObject({ Message: expect.stringContaining('already exists') });
    expect((await api('orchestrators/nope', { method: 'POST' })).status).toBe(404);
    expect((await api('orchestrators/hello/other', { method: 'POST', body: '{not json' })).status).toBe(400);
    expect(engine.instances.has('other')).toBe(false);
  });

  it('waits for completion when timeout and pollingInterval are given', async () => {
    setTimeout(() => engine.finish('quick', 'Completed', { total: 3 }), 100);
    const done = await api('orchestrators/hello/quick?timeout=5&pollingInterval=0.02', { method: 'POST' });
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ total: 3 });

    const slow = await api('orchestrators/hello/slow?timeout=0.1&pollingInterval=0.05', { method: 'POST' });
    expect(slow.status).toBe(202);
    expect(((await slow.json()) as { id: string }).id).toBe('slow');

    const bad = await api('orchestrators/hello/bad?timeout=1&pollingInterval=2', { method: 'POST' });
    expect(bad.status).toBe(400);
  });

  it('restarts with the same id only once the instance has finished', async () => {
    await client.startNew('hello', { instanceId: 'again', input: 7 });
    const busy = await api('instances/again/restart?restartWithNewInstanceId=false', { method: 'POST' });
    expect(busy.status).toBe(409);
    engine.finish('again', 'Completed');
    const restarted = await api('instances/again/restart?restartWithNewInstanceId=false', { method: 'POST' });
    expect(restarted.status).toBe(202);
    expect(((await restarted.json()) as { id: string }).id).toBe('again');
    expect(engine.instances.get('again')).toMatchObject({ runtimeStatus: 'Running', input: 7 });
    expect((await api('instances/nobody/restart', { method: 'POST' })).status).toBe(400);
  });

  it('pages with top and the x-ms-continuation-token header', async () => {
    for (let i = 0; i < 3; i++) await client.startNew('hello', { instanceId: `p${i}` });
    const first = await api('instances/?top=2&showInput=false&instanceIdPrefix=p');
    expect(first.status).toBe(200);
    const token = first.headers.get('x-ms-continuation-token');
    expect(token).toBe('page:2');
    expect(((await first.json()) as { instanceId: string }[]).map((s) => s.instanceId)).toEqual(['p0', 'p1']);
    const second = await api('instances?top=2', { headers: { 'x-ms-continuation-token': token! } });
    expect(second.headers.get('x-ms-continuation-token')).toBeNull();
    expect(((await second.json()) as { instanceId: string }[]).map((s) => s.instanceId)).toEqual(['p2']);
    expect(engine.queries[0]).toEqual({ instanceIdPrefix: 'p', pageSize: 2 });
    expect(engine.queries[1]).toEqual({ pageSize: 2, continuationToken: 'page:2' });
  });

  it('signals an entity from outside, with DELETE meaning the delete operation', async () => {
    expect((await postJson(`${baseUrl}${prefix}/entities/counter/k?op=add`, 3)).status).toBe(202);
    const text = await api('entities/counter/k?op=note', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(text.status).toBe(202);
    expect((await api('entities/counter/k', { method: 'DELETE' })).status).toBe(202);
    expect(engine.signals.map((s) => [s.operation, s.input])).toEqual([
      ['add', 3],
      ['note', 'hello'],
      ['delete', undefined],
    ]);
    expect((await api('entities/counter')).status).toBe(501);
  });
});

describe('validation and unknown paths', () => {
  it.each([
    ['GET', 'instances/a%20b'],
    ['GET', 'instances/a%2Fb'],
    ['GET', 'instances/a%5Cb'],
    ['GET', 'instances/a%3Fb'],
    ['GET', 'instances/a%23b'],
    ['GET', 'instances/a%00b'],
    ['GET', `instances/${'x'.repeat(257)}`],
    ['GET', 'instances/%E0%A4%A'],
    ['POST', 'orchestrators/hel%20lo'],
    ['POST', 'orchestrators/hello/bad%09id'],
    ['POST', 'instances/ok/raiseEvent/bad%20event'],
    ['POST', 'instances/ok/raiseEvent'],
    ['GET', 'entities/na@me/key'],
    ['GET', 'entities/name/bad%0Akey'],
    ['POST', 'entities/name'],
    ['GET', 'instances?runtimeStatus=Sleeping'],
    ['GET', 'instances?createdTimeFrom=yesterday'],
    ['GET', 'instances?top=0'],
    ['DELETE', 'instances/'],
    ['GET', 'instances/x?taskHub=otherHub'],
  ])('answers 400 to %s %s', async (method, path) => {
    await client.startNew('hello', { instanceId: 'ok' });
    const res = await api(path, { method });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/json');
    await res.json();
  });

  it('refuses a non-JSON event body like the extension', async () => {
    await client.startNew('hello', { instanceId: 'ok' });
    const res = await api('instances/ok/raiseEvent/e', { method: 'POST', body: 'a=1' });
    expect(res.status).toBe(400);
    expect(engine.events).toEqual([]);
  });

  it.each([
    ['GET', ''],
    ['GET', 'nope'],
    ['POST', 'instances/x/frobnicate'],
    ['POST', 'instances/x/terminate/extra'],
    ['GET', 'orchestrators'],
    ['GET', 'entities/counter/k/extra'],
  ])('answers 404 to %s %s', async (method, path) => {
    const res = await api(path, { method });
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty('Message');
  });

  it('answers 405 to the wrong method on a known route', async () => {
    const res = await api('orchestrators/hello', { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('leaves paths outside the prefix alone', async () => {
    for (const path of [
      '/api/hello',
      '/runtime/webhooks/durabletaskx/instances',
      '/runtime/webhooks/eventgrid',
    ]) {
      const res = await fetch(`${baseUrl}${path}`);
      expect(res.status).toBe(418);
    }
  });

  it('turns an unexpected engine failure into a 500 JSON answer', async () => {
    engine.getStatus = () => {
      throw new Error('store exploded');
    };
    const res = await api('instances/x');
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ ExceptionMessage: 'store exploded' });
  });
});
