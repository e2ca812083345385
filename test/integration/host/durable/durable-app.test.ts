import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningProcess } from '../../../support/processes';
import { projectRoot, runAos } from '../../../support/processes';

/**
 * A plain Durable Functions app (test/fixtures/durable-app) on `aos host`, driven
 * only over real HTTP like a user would: starters, the status URLs that
 * createCheckStatusResponse hands out, events, terminate, entities, and the
 * webhook API. State lives in Azurite through the Table store.
 */

const appDir = path.join(projectRoot, 'test', 'fixtures', 'durable-app');
let host: RunningProcess;
const hub = `fx${Date.now().toString(36)}`;

interface CheckStatus {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  purgeHistoryDeleteUri: string;
}

async function waitForStatus(
  url: string,
  done: (body: Record<string, unknown>) => boolean,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(url)).json()) as Record<string, unknown>;
    if (done(body)) return body;
    if (Date.now() > deadline) throw new Error(`timed out; last status ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  host = await runAos(['host', '--app', appDir, '--port', '0'], {
    env: { AzureWebJobsStorage: inject('azuriteConnectionString'), FIXTURE_HUB: hub },
  });
});

afterAll(async () => {
  await host?.stop();
});

describe('a Durable Functions app on aos host', () => {
  it('starts through an HTTP starter and completes, observed through the status URL', async () => {
    const response = await fetch(`${host.baseUrl}/api/start/greetings`, {
      method: 'POST',
      body: JSON.stringify(['Ann', 'Bo']),
    });
    expect(response.status).toBe(202);
    const check = (await response.json()) as CheckStatus;
    expect(response.headers.get('location')).toBe(check.statusQueryGetUri);
    expect(
      check.statusQueryGetUri.startsWith(
        `${host.baseUrl}/runtime/webhooks/durabletask/instances/${check.id}`,
      ),
    ).toBe(true);
    const status = await waitForStatus(check.statusQueryGetUri, (b) => b['runtimeStatus'] === 'Completed');
    expect(status['output']).toEqual(['Hello, Ann!', 'Hello, Bo!']);
  });

  it('waits for completion in the starter when asked to', async () => {
    const response = await fetch(`${host.baseUrl}/api/run/greetings`, {
      method: 'POST',
      body: JSON.stringify(['Cy']),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(['Hello, Cy!']);
  });

  it('takes an external event through sendEventPostUri', async () => {
    const check = (await (
      await fetch(`${host.baseUrl}/api/start/approval/approval-1`, { method: 'POST' })
    ).json()) as CheckStatus;
    expect(check.id).toBe('approval-1');
    await waitForStatus(check.statusQueryGetUri, (b) => b['customStatus'] === 'awaiting decision');
    const raised = await fetch(check.sendEventPostUri.replace('{eventName}', 'decision'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify('approved'),
    });
    expect(raised.status).toBe(202);
    const status = await waitForStatus(check.statusQueryGetUri, (b) => b['runtimeStatus'] === 'Completed');
    expect(status['output']).toBe('decided: approved');
  });

  it('terminates a running instance through the client', async () => {
    const check = (await (
      await fetch(`${host.baseUrl}/api/start/approval`, { method: 'POST' })
    ).json()) as CheckStatus;
    await waitForStatus(check.statusQueryGetUri, (b) => b['runtimeStatus'] === 'Running');
    expect((await fetch(`${host.baseUrl}/api/terminate/${check.id}`, { method: 'POST' })).status).toBe(202);
    const status = await waitForStatus(check.statusQueryGetUri, (b) => b['runtimeStatus'] === 'Terminated');
    expect(status['output']).toBe('stopped over HTTP');
  });

  it('reads status with history through the client and lists completed instances', async () => {
    const check = (await (
      await fetch(`${host.baseUrl}/api/start/greetings/listed-1`, { method: 'POST' })
    ).json()) as CheckStatus;
    await waitForStatus(check.statusQueryGetUri, (b) => b['runtimeStatus'] === 'Completed');
    // DurableClient exposes the history as `history`.
    const status = (await (await fetch(`${host.baseUrl}/api/status/listed-1`)).json()) as {
      history: { EventType: string }[];
    };
    expect(status.history.map((e) => e.EventType)).toContain('TaskCompleted');
    const listed = (await (await fetch(`${host.baseUrl}/api/instances`)).json()) as string[];
    expect(listed).toContain('listed-1');
  });

  it('starts an orchestrator through the webhook API without a starter function', async () => {
    const response = await fetch(
      `${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/greetings/direct-1`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(['Di']),
      },
    );
    expect(response.status).toBe(202);
    const check = (await response.json()) as CheckStatus;
    const status = await waitForStatus(check.statusQueryGetUri, (b) => b['runtimeStatus'] === 'Completed');
    expect(status['output']).toEqual(['Hello, Di!']);
  });

  it('signals an entity and reads its state through the client', async () => {
    for (const n of [1, 2, 3]) {
      expect(
        (await fetch(`${host.baseUrl}/api/counter/c1`, { method: 'POST', body: String(n) })).status,
      ).toBe(202);
    }
    const deadline = Date.now() + 10_000;
    let state: unknown;
    while (Date.now() < deadline) {
      state = await (await fetch(`${host.baseUrl}/api/counter/c1`)).json();
      if ((state as { entityState?: number }).entityState === 6) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(state).toMatchObject({ entityExists: true, entityState: 6 });
  });
});
