import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCallback } from '../../src/kernel/callbacks';
import type { RunningProcess } from '../support/processes';
import { projectRoot } from '../support/processes';
import type { RecordedRequest } from '../support/kernel';
import { apiClient, callbackSecret, startKernel, testServer, unique, waitForStatus } from '../support/kernel';
import { localToken } from '../support/tokens';

/**
 * The orchestration engine end to end: the kernel on aos host (Azurite, the local
 * Durable runtime), builtin agents and real HTTP agents on loopback, driven only
 * through the HTTP API like a client.
 */

let kernel: RunningProcess;
let api: ReturnType<typeof apiClient>;
let agents: Awaited<ReturnType<typeof testServer>>;
let hooks: Awaited<ReturnType<typeof testServer>>;
const flakyCounts = new Map<string, number>();
const run = unique('r');

function textOf(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input && typeof input === 'object') {
    const record = input as { text?: unknown; message?: unknown };
    if (typeof record.text === 'string') return record.text;
    if (typeof record.message === 'string') return record.message;
  }
  return JSON.stringify(input);
}

beforeAll(async () => {
  agents = await testServer(async (req, body, res) => {
    const task = JSON.parse(body || '{}') as {
      input: unknown;
      task_id: string;
      reply_url?: string;
      step: string;
    };
    const [, kind = '', arg = ''] = (req.url ?? '').split('/');
    const reply = (status: number, json?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(json === undefined ? '' : JSON.stringify(json));
    };
    switch (kind) {
      case 'append': {
        const text = `${textOf(task.input)}|${arg}`;
        return reply(200, { message: text, output: { text } });
      }
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, 3000));
        return reply(200, { message: 'too late' });
      case 'fail500':
        return reply(500, { error: 'broken agent' });
      case 'flaky': {
        const count = (flakyCounts.get(arg) ?? 0) + 1;
        flakyCounts.set(arg, count);
        return count < 3 ? reply(503) : reply(200, { message: `ok after ${count}` });
      }
      case 'async':
        reply(202);
        setTimeout(() => {
          void fetch(task.reply_url!, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ message: 'late reply', output: { from: 'async' } }),
          });
        }, 100);
        return undefined;
      case 'coordinator': {
        const input = task.input as { phase: string; results?: Record<string, { message?: string }> };
        if (input.phase === 'delegate') {
          return reply(200, {
            message: 'splitting the work',
            output: {
              delegate: [
                { agent_id: `${run}-echo1`, input: 'part one' },
                { agent_id: `${run}-echo2`, input: 'part two' },
              ],
            },
          });
        }
        const parts = Object.values(input.results ?? {}).map((r) => r.message);
        return reply(200, { message: `integrated: ${parts.join(' + ')}` });
      }
      case 'closer': {
        const turn = (task.input as { turn: number }).turn;
        return reply(200, { message: turn >= Number(arg) ? `done at ${turn} [COMPLETE]` : `turn ${turn}` });
      }
      default:
        return reply(404);
    }
  });
  const hookFailures = new Map<string, number>();
  hooks = await testServer((_req, body, res) => {
    // Orchestrations named *-flaky-hook get their final callback refused twice.
    const envelope = JSON.parse(body || '{}') as { orchestration_id?: string; event?: string };
    const key = envelope.orchestration_id ?? '';
    if (key.endsWith('-flaky-hook') && envelope.event === 'completed') {
      const seen = (hookFailures.get(key) ?? 0) + 1;
      hookFailures.set(key, seen);
      if (seen <= 2) {
        res.statusCode = 503;
        res.end();
        return;
      }
    }
    res.statusCode = 204;
    res.end();
  });
  // A deployment's own transports come from packages named in AOS_EXTENSION_PACKAGES.
  kernel = await startKernel({
    AOS_EXTENSION_PACKAGES: path.join(projectRoot, 'test', 'fixtures', 'extension-package'),
  });
  api = apiClient(kernel.baseUrl, await localToken());
  const register = async (id: string, transport: unknown, extra: Record<string, unknown> = {}) => {
    const response = await api('POST', '/agents/register', {
      agent_id: id,
      purpose: `test agent ${id}`,
      transport,
      ...extra,
    });
    expect([200, 201]).toContain(response.status);
  };
  await register(`${run}-echo1`, { type: 'builtin', name: 'echo' });
  await register(`${run}-echo2`, { type: 'builtin', name: 'echo' });
  await register(`${run}-a`, { type: 'http', url: `${agents.url}/append/a` });
  await register(`${run}-b`, { type: 'http', url: `${agents.url}/append/b` });
  await register(`${run}-c`, { type: 'http', url: `${agents.url}/append/c` });
  await register(
    `${run}-slow`,
    { type: 'http', url: `${agents.url}/slow`, timeout_seconds: 1 },
    { retry: { max_attempts: 2, backoff_ms: 50 } },
  );
  await register(
    `${run}-fail`,
    { type: 'http', url: `${agents.url}/fail500` },
    { retry: { max_attempts: 3, backoff_ms: 20 } },
  );
  await register(
    `${run}-flaky`,
    { type: 'http', url: `${agents.url}/flaky/${run}` },
    { retry: { max_attempts: 4, backoff_ms: 20 } },
  );
  await register(`${run}-async`, { type: 'http', url: `${agents.url}/async` });
  await register(`${run}-coord`, { type: 'http', url: `${agents.url}/coordinator` });
  await register(`${run}-closer`, { type: 'http', url: `${agents.url}/closer/3` });
  await register(`${run}-listener`, { type: 'http', url: `${agents.url}/append/listener` });
}, 90_000);

afterAll(async () => {
  await kernel?.stop();
  await agents?.close();
  await hooks?.close();
});

const id = (name: string) => `${run}-${name}`;

async function runToEnd(
  body: Record<string, unknown>,
  statuses = ['completed', 'failed', 'stopped', 'cancelled'],
) {
  const submitted = await api('POST', '/orchestrations', body);
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
  const orchestrationId = String(submitted.body['orchestration_id']);
  const status = await waitForStatus(api, orchestrationId, statuses, 60_000);
  const result = await api('GET', `/orchestrations/${orchestrationId}/result`);
  return {
    id: orchestrationId,
    status,
    result: result.body as Record<string, unknown> & { results: Record<string, Record<string, unknown>> },
  };
}

describe('workflows', () => {
  it('sequential: each agent gets the previous output, builtin and HTTP agents alike', async () => {
    const { status, result } = await runToEnd({
      agent_ids: [id('a'), id('echo1'), id('b')],
      workflow: 'sequential',
      purpose: 'chain',
      context: { text: 'start' },
    });
    expect(status['status']).toBe('completed');
    expect(Object.keys(result.results)).toEqual([id('a'), id('echo1'), id('b')]);
    expect(result.results[id('a')]!['output']).toEqual({ text: 'start|a' });
    expect(result.results[id('echo1')]!['output']).toEqual({ text: 'start|a' });
    expect(result.results[id('b')]!['output']).toEqual({ text: 'start|a|b' });
    expect(result['summary']).toBe('start|a|b');
    expect(result['duration_seconds']).toBeGreaterThanOrEqual(0);
  });

  it('parallel: every agent gets the context and all results are collected', async () => {
    const { result } = await runToEnd({
      agent_ids: [id('a'), id('b'), id('echo1')],
      workflow: 'parallel',
      purpose: 'fan out',
      context: { text: 'same' },
    });
    expect(result.results[id('a')]!['output']).toEqual({ text: 'same|a' });
    expect(result.results[id('b')]!['output']).toEqual({ text: 'same|b' });
    expect(result.results[id('echo1')]!['output']).toEqual({ text: 'same' });
  });

  it('hierarchical: the coordinator delegates, specialists work, the coordinator integrates', async () => {
    const { status, result } = await runToEnd({
      agent_ids: [id('coord'), id('echo1'), id('echo2')],
      workflow: 'hierarchical',
      purpose: 'plan and integrate',
    });
    expect(status['status']).toBe('completed');
    const steps = Object.values(result.results).map((r) => [r['step_id'], r['message']]);
    expect(steps[0]).toEqual(['delegate', 'splitting the work']);
    expect(steps.at(-1)).toEqual(['integrate', 'integrated: part one + part two']);
    expect(steps.map((s) => s[1])).toEqual(expect.arrayContaining(['part one', 'part two']));
  });

  it('collaborative: turns go round until an agent says [COMPLETE]', async () => {
    const { status, result } = await runToEnd({
      agent_ids: [id('echo1'), id('closer')],
      purpose: 'talk it through',
    });
    expect(status['status']).toBe('completed');
    expect(result['turns']).toBe(4);
    expect(String(result['summary'])).toContain('[COMPLETE]');
  });

  it('dag: ready steps run together, a step gets its dependencies, a failure skips its dependents', async () => {
    const { status, result } = await runToEnd({
      agent_ids: [id('a'), id('b'), id('c'), id('fail')],
      workflow: 'dag',
      purpose: 'graph',
      context: { text: 'root' },
      config: {
        on_failure: 'collect',
        steps: [
          { id: 'left', agent_id: id('a') },
          { id: 'right', agent_id: id('b') },
          { id: 'join', agent_id: id('c'), depends_on: ['left', 'right'] },
          { id: 'broken', agent_id: id('fail') },
          { id: 'after-broken', agent_id: id('a'), depends_on: ['broken'] },
        ],
      },
    });
    expect(status['status']).toBe('completed');
    expect(result.results['left']!['output']).toEqual({ text: 'root|a' });
    expect(result.results['join']!['status']).toBe('completed');
    expect(String(result.results['join']!['message'])).toContain('root|a');
    expect(String(result.results['join']!['message'])).toContain('root|b');
    expect(result.results['broken']!['status']).toBe('failed');
    expect(result.results['after-broken']!['status']).toBe('skipped');
  });

  it('sub-workflows: a step runs another workflow as a sub-orchestration', async () => {
    const { status, result } = await runToEnd({
      agent_ids: [id('a'), id('b'), id('echo1')],
      workflow: 'sequential',
      purpose: 'nested',
      context: { text: 'outer' },
      config: {
        steps: [
          { id: 'first', agent_id: id('a') },
          { id: 'inner', kind: 'workflow', workflow: 'sequential', agent_ids: [id('b'), id('echo1')] },
        ],
      },
    });
    expect(status['status']).toBe('completed');
    expect(result.results['inner']!['status']).toBe('completed');
    // The sub-workflow's summary is its last step's message: echo1 repeating b's output.
    expect(JSON.parse(String(result.results['inner']!['message']))).toEqual({ text: 'outer|a|b' });
  });
});

describe('approval gates', () => {
  const gated = (name: string, deadline: number, defaultOutcome: 'approved' | 'rejected') => ({
    orchestration_id: id(name),
    agent_ids: [id('a'), id('b')],
    workflow: 'sequential',
    purpose: 'needs sign-off',
    context: { text: 'doc' },
    config: {
      steps: [
        { id: 'draft', agent_id: id('a') },
        { id: 'sign-off', kind: 'approval', deadline_seconds: deadline, default_outcome: defaultOutcome },
        { id: 'publish', agent_id: id('b') },
      ],
    },
  });

  async function waitForGate(orchestrationId: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { body } = await api('GET', `/orchestrations/${orchestrationId}`);
      const waiting = (body['custom_status'] as { waiting_for?: { step_id: string } } | null)?.waiting_for;
      if (waiting?.step_id === 'sign-off') return;
      if (Date.now() > deadline) throw new Error('never reached the gate');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('continues when approved', async () => {
    await api('POST', '/orchestrations', gated('approved', 3600, 'rejected'));
    await waitForGate(id('approved'));
    const decision = await api('POST', `/orchestrations/${id('approved')}/approvals/sign-off`, {
      outcome: 'approved',
      comment: 'fine',
    });
    expect(decision.status).toBe(200);
    await waitForStatus(api, id('approved'), ['completed', 'failed']);
    const result = (await api('GET', `/orchestrations/${id('approved')}/result`)).body as {
      results: Record<string, Record<string, unknown>>;
    };
    expect(result.results['sign-off']!['status']).toBe('completed');
    expect(result.results['publish']!['output']).toEqual({ text: 'doc|a|b' });
  });

  it('fails and skips the rest when rejected', async () => {
    await api('POST', '/orchestrations', gated('rejected', 3600, 'approved'));
    await waitForGate(id('rejected'));
    await api('POST', `/orchestrations/${id('rejected')}/approvals/sign-off`, { outcome: 'rejected' });
    const status = await waitForStatus(api, id('rejected'), ['completed', 'failed']);
    expect(status['status']).toBe('failed');
    const result = (await api('GET', `/orchestrations/${id('rejected')}/result`)).body as {
      results: Record<string, Record<string, unknown>>;
    };
    expect(result.results['sign-off']!['status']).toBe('rejected');
    expect(result.results['publish']!['status']).toBe('skipped');
  });

  it('applies the default outcome when the deadline passes', async () => {
    await api('POST', '/orchestrations', gated('timed-out', 1, 'approved'));
    const status = await waitForStatus(api, id('timed-out'), ['completed', 'failed']);
    expect(status['status']).toBe('completed');
    const result = (await api('GET', `/orchestrations/${id('timed-out')}/result`)).body as {
      results: Record<string, Record<string, unknown>>;
    };
    expect(result.results['sign-off']!['output']).toMatchObject({
      outcome: 'approved',
      decided_by: 'deadline',
    });
  });

  it('refuses a decision for a gate the orchestration is not waiting at', async () => {
    await api('POST', '/orchestrations', gated('not-waiting', 3600, 'rejected'));
    await waitForGate(id('not-waiting'));
    const wrong = await api('POST', `/orchestrations/${id('not-waiting')}/approvals/publish`, {
      outcome: 'approved',
    });
    expect(wrong.status).toBe(409);
    const bad = await api('POST', `/orchestrations/${id('not-waiting')}/approvals/sign-off`, {
      outcome: 'maybe',
    });
    expect(bad.status).toBe(400);
    await api('POST', `/orchestrations/${id('not-waiting')}/cancel`, {});
  });
});

describe('agent failures', () => {
  it('times out, retries, then fails the step with the agent error recorded', async () => {
    const { status, result } = await runToEnd({
      agent_ids: [id('slow')],
      workflow: 'sequential',
      purpose: 'too slow',
    });
    expect(status['status']).toBe('failed');
    expect(String(status['error'])).toContain(id('slow'));
    expect(String(result.results[id('slow')]!['error'])).toMatch(/^timeout/);
  });

  it('retries a 500, then fails the step; a flaky agent succeeds after retries', async () => {
    const failed = await runToEnd({ agent_ids: [id('fail')], workflow: 'sequential', purpose: 'broken' });
    expect(failed.status['status']).toBe('failed');
    expect(String(failed.result.results[id('fail')]!['error'])).toContain('500');
    const before = agents.requests.filter((r) => r.path === '/fail500').length;
    expect(before).toBeGreaterThanOrEqual(3);
    const flaky = await runToEnd({ agent_ids: [id('flaky')], workflow: 'sequential', purpose: 'eventually' });
    expect(flaky.status['status']).toBe('completed');
    expect(flaky.result.results[id('flaky')]!['message']).toBe('ok after 3');
  });

  it('waits for the late reply of an agent that answered 202', async () => {
    const { status, result } = await runToEnd({
      agent_ids: [id('async')],
      workflow: 'sequential',
      purpose: 'later',
    });
    expect(status['status']).toBe('completed');
    expect(result.results[id('async')]).toMatchObject({ message: 'late reply', output: { from: 'async' } });
  });
});

describe('running orchestrations', () => {
  it('keeps history bounded over 200 collaborative turns', async () => {
    const {
      status,
      result,
      id: orchestrationId,
    } = await runToEnd({
      agent_ids: [id('echo1'), id('echo2')],
      purpose: 'a long conversation',
      config: { max_turns: 200, turns_per_execution: 20 },
    });
    expect(status['status']).toBe('completed');
    expect(result['turns']).toBe(200);
    const durable = (await (
      await fetch(
        `${kernel.baseUrl}/runtime/webhooks/durabletask/instances/${orchestrationId}?showHistory=true`,
      )
    ).json()) as { historyEvents: unknown[] };
    // Only the last execution's history remains: about 20 turns' worth, not 200.
    expect(durable.historyEvents.length).toBeLessThan(120);
  }, 120_000);

  it('stop lets the current turn finish and ends as stopped; cancel ends at once as cancelled', async () => {
    const long = { agent_ids: [id('echo1'), id('echo2')], purpose: 'endless', config: { max_turns: 10000 } };
    const stopped = await api('POST', '/orchestrations', { ...long, orchestration_id: id('to-stop') });
    const cancelled = await api('POST', '/orchestrations', { ...long, orchestration_id: id('to-cancel') });
    expect([stopped.status, cancelled.status]).toEqual([202, 202]);
    await waitForStatus(api, id('to-stop'), ['active']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stop = await api('POST', `/orchestrations/${id('to-stop')}/stop`, {});
    expect(stop.status).toBe(200);
    expect(stop.body['stop_requested']).toBe(true);
    const final = await waitForStatus(api, id('to-stop'), ['stopped', 'completed', 'failed']);
    expect(final['status']).toBe('stopped');
    const result = (await api('GET', `/orchestrations/${id('to-stop')}/result`)).body;
    expect(Number(result['turns'])).toBeLessThan(10000);

    const cancel = await api('POST', `/orchestrations/${id('to-cancel')}/cancel`, {});
    expect(cancel.status).toBe(200);
    expect(cancel.body['status']).toBe('cancelled');
    const again = await api('POST', `/orchestrations/${id('to-cancel')}/cancel`, {});
    expect(again.status).toBe(409);
  }, 60_000);

  it('answers 409 for the result of a running orchestration, and takes messages into a conversation', async () => {
    const submitted = await api('POST', '/orchestrations', {
      orchestration_id: id('chatty'),
      agent_ids: [id('echo1'), id('echo2')],
      purpose: 'listen',
      config: { max_turns: 10000 },
    });
    expect(submitted.status).toBe(202);
    expect((await api('GET', `/orchestrations/${id('chatty')}/result`)).status).toBe(409);
    const posted = await api('POST', `/orchestrations/${id('chatty')}/messages`, {
      message: 'hello from a user',
      from: 'ann',
    });
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({
      orchestration_id: id('chatty'),
      status: 'accepted',
      from: 'user:ann',
    });
    const bridged = await api('POST', `/agents/${id('echo1')}/message`, {
      message: 'bridged',
      orchestration_id: id('chatty'),
    });
    expect(bridged.status).toBe(202);
    expect(bridged.body).toMatchObject({
      agent_id: id('echo1'),
      orchestration_id: id('chatty'),
      status: 'accepted',
    });
    await api('POST', `/orchestrations/${id('chatty')}/cancel`, {});
  });

  it('lists orchestrations with filters and paging', async () => {
    const first = await api<{ orchestrations: { orchestration_id: string }[]; continuation?: string }>(
      'GET',
      '/orchestrations?limit=2',
    );
    expect(first.status).toBe(200);
    expect(first.body.orchestrations).toHaveLength(2);
    expect(first.body.continuation).toBeDefined();
    const next = await api<{ orchestrations: { orchestration_id: string }[] }>(
      'GET',
      `/orchestrations?limit=2&continuation=${encodeURIComponent(first.body.continuation!)}`,
    );
    expect(next.body.orchestrations.map((o) => o.orchestration_id)).not.toContain(
      first.body.orchestrations[0]!.orchestration_id,
    );
    const byAgent = await api<{ orchestrations: { agent_ids: string[] }[] }>(
      'GET',
      `/orchestrations?agent_id=${id('closer')}&limit=50`,
    );
    expect(byAgent.body.orchestrations.length).toBeGreaterThan(0);
    expect(byAgent.body.orchestrations.every((o) => o.agent_ids.includes(id('closer')))).toBe(true);
    const completed = await api<{ orchestrations: { status: string }[] }>(
      'GET',
      '/orchestrations?status=completed&limit=5',
    );
    expect(completed.body.orchestrations.every((o) => o.status === 'completed')).toBe(true);
    expect((await api('GET', '/orchestrations?limit=0')).status).toBe(400);
  });
});

describe('conversations and callbacks', () => {
  it('a message posted into a conversation reaches the agents in their transcript', async () => {
    await api('POST', '/orchestrations', {
      orchestration_id: id('heard'),
      agent_ids: [id('echo1'), id('listener')],
      purpose: 'listen for the user',
      config: { max_turns: 10000 },
    });
    await waitForStatus(api, id('heard'), ['active']);
    const posted = await api('POST', `/orchestrations/${id('heard')}/messages`, {
      message: 'PING-from-user-42',
      from: 'ann',
    });
    expect(posted.status).toBe(202);
    const deadline = Date.now() + 20_000;
    let heard: RecordedRequest | undefined;
    while (!heard && Date.now() < deadline) {
      heard = agents.requests.find(
        (r) => r.path === '/append/listener' && r.body.includes('PING-from-user-42'),
      );
      if (!heard) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(heard).toBeDefined();
    const transcript = (
      JSON.parse(heard!.body) as { input: { transcript: { agent_id: string; message: string }[] } }
    ).input.transcript;
    expect(transcript).toContainEqual({ agent_id: 'user:ann', message: 'PING-from-user-42' });
    await api('POST', `/orchestrations/${id('heard')}/cancel`, {});
  });

  it('retries a refused callback with backoff until it is delivered', async () => {
    const { id: orchestrationId } = await runToEnd({
      orchestration_id: id('cb-flaky-hook'),
      agent_ids: [id('echo1')],
      workflow: 'sequential',
      purpose: 'call me back, eventually',
      callback_url: `${hooks.url}/hook`,
    });
    const deadline = Date.now() + 30_000;
    let completed: RecordedRequest[] = [];
    while (Date.now() < deadline) {
      completed = hooks.requests.filter((r) => {
        const envelope = JSON.parse(r.body) as { orchestration_id: string; event: string };
        return envelope.orchestration_id === orchestrationId && envelope.event === 'completed';
      });
      if (completed.length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Refused twice, delivered on the third attempt.
    expect(completed).toHaveLength(3);
    const result = (await api('GET', `/orchestrations/${orchestrationId}/result`)).body;
    expect(result['status']).toBe('completed');
  }, 60_000);
});

describe('submission rules', () => {
  it('is idempotent on orchestration_id: the same request again is the same orchestration, a different one is 409', async () => {
    const body = {
      orchestration_id: id('idem'),
      agent_ids: [id('echo1')],
      workflow: 'sequential',
      purpose: 'once',
    };
    const first = await api('POST', '/orchestrations', body);
    const second = await api('POST', '/orchestrations', { ...body });
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body['created_at']).toBe(first.body['created_at']);
    const different = await api('POST', '/orchestrations', { ...body, purpose: 'twice' });
    expect(different.status).toBe(409);
    expect(different.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers 404 naming unknown agents and 400 for empty agent_ids, a cyclic dag and a bad callback_url', async () => {
    const unknown = await api('POST', '/orchestrations', {
      agent_ids: [id('echo1'), 'ghost-agent'],
      purpose: 'x',
    });
    expect(unknown.status).toBe(404);
    expect(String(unknown.body['detail'])).toContain('ghost-agent');
    const empty = await api('POST', '/orchestrations', { agent_ids: [], purpose: 'x' });
    expect(empty.status).toBe(400);
    expect((empty.body['errors'] as { field: string }[])[0]!.field).toBe('agent_ids');
    const cyclic = await api('POST', '/orchestrations', {
      agent_ids: [id('a'), id('b')],
      workflow: 'dag',
      purpose: 'x',
      config: {
        steps: [
          { id: 'p', agent_id: id('a'), depends_on: ['q'] },
          { id: 'q', agent_id: id('b'), depends_on: ['p'] },
        ],
      },
    });
    expect(cyclic.status).toBe(400);
    expect(JSON.stringify(cyclic.body)).toContain('cycle');
    for (const url of ['ftp://example.com/hook', 'not a url', 'https://user:pass@example.com/hook']) {
      const bad = await api('POST', '/orchestrations', {
        agent_ids: [id('echo1')],
        purpose: 'x',
        callback_url: url,
      });
      expect(bad.status, url).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('callback_url');
    }
  });

  it('posts signed callbacks for status changes and the result', async () => {
    const { id: orchestrationId } = await runToEnd({
      agent_ids: [id('echo1')],
      workflow: 'sequential',
      purpose: 'call me back',
      context: { text: 'cb' },
      callback_url: `${hooks.url}/hook`,
    });
    const deadline = Date.now() + 10_000;
    let mine: RecordedRequest[] = [];
    while (Date.now() < deadline) {
      mine = hooks.requests.filter(
        (r) => (JSON.parse(r.body) as { orchestration_id: string }).orchestration_id === orchestrationId,
      );
      if (mine.length >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(mine.map((r) => (JSON.parse(r.body) as { event: string }).event)).toEqual([
      'status_changed',
      'completed',
    ]);
    for (const request of mine) {
      const timestamp = String(request.headers['x-aos-timestamp']);
      expect(
        verifyCallback(callbackSecret, timestamp, request.body, String(request.headers['x-aos-signature'])),
      ).toBe(true);
      expect(request.body).not.toContain(callbackSecret);
    }
    const completed = JSON.parse(mine[1]!.body) as {
      status: string;
      payload: { results: Record<string, unknown> };
    };
    expect(completed.status).toBe('completed');
    expect(Object.keys(completed.payload.results)).toEqual([id('echo1')]);
  });
});

describe('agents API', () => {
  it('registers idempotently, lists by type, gets, and never returns secrets', async () => {
    const body = {
      agent_id: id('secretive'),
      purpose: 'keeps a key',
      agent_type: 'specialist',
      transport: {
        type: 'http',
        url: `${agents.url}/append/s`,
        headers: { authorization: 'Bearer super-secret-token-123' },
      },
    };
    const first = await api('POST', '/agents/register', body);
    const second = await api('POST', '/agents/register', body);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(JSON.stringify(first.body)).not.toContain('super-secret-token-123');
    const listed = await api<{ agents: { agent_id: string }[] }>('GET', '/agents?agent_type=specialist');
    expect(listed.body.agents.map((a) => a.agent_id)).toContain(id('secretive'));
    expect(JSON.stringify(listed.body)).not.toContain('super-secret-token-123');
    const got = await api('GET', `/agents/${id('secretive')}`);
    expect(got.body['agent_id']).toBe(id('secretive'));
    expect((await api('GET', '/agents/nobody-here')).status).toBe(404);
    const invalid = await api('POST', '/agents/register', { agent_id: 'bad id!', purpose: 'x' });
    expect(invalid.status).toBe(400);
  });

  it('asks an agent synchronously, with the secret header sent to the agent only', async () => {
    const answer = await api('POST', `/agents/${id('secretive')}/ask`, {
      message: 'question',
      context: { k: 1 },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      agent_id: id('secretive'),
      message: 'question|s',
      context: { k: 1 },
    });
    const seen = agents.requests.filter((r) => r.path === '/append/s').at(-1)!;
    expect(seen.headers['authorization']).toBe('Bearer super-secret-token-123');
    // A fresh failing agent: the shared one's circuit breaker is open after the earlier tests.
    await api('POST', '/agents/register', {
      agent_id: id('fail-ask'),
      purpose: 'fails',
      transport: { type: 'http', url: `${agents.url}/fail500` },
      retry: { max_attempts: 1, backoff_ms: 10 },
    });
    const failing = await api('POST', `/agents/${id('fail-ask')}/ask`, { message: 'x' });
    expect(failing.status).toBe(502);
    expect(failing.body['error_code']).toBe('http_status');
  });

  it('reaches agents through a transport an extension package registered at start-up', async () => {
    const registered = await api('POST', '/agents/register', {
      agent_id: id('pigeon'),
      purpose: 'carries messages',
      transport: { type: 'pigeon', loft: 'the roof' },
    });
    expect(registered.status).toBe(201);
    const answer = await api('POST', `/agents/${id('pigeon')}/ask`, { message: 'any news?' });
    expect(answer.body['message']).toBe('coo from the roof');
    const unknown = await api('POST', '/agents/register', {
      agent_id: id('owl'),
      purpose: 'x',
      transport: { type: 'owl' },
    });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('transport.type');
  });

  it('sends fire-and-forget messages with a JSON answer', async () => {
    const before = agents.requests.filter((r) => r.path === '/append/a').length;
    const sent = await api('POST', `/agents/${id('a')}/send`, { text: 'async hello' });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ status: 'accepted' });
    expect(String(sent.body['message_id'])).toMatch(/^send-/);
    const deadline = Date.now() + 10_000;
    while (agents.requests.filter((r) => r.path === '/append/a').length === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const delivered = agents.requests.filter((r) => r.path === '/append/a').at(-1)!;
    expect(JSON.parse(delivered.body)).toMatchObject({ step: 'send', input: { text: 'async hello' } });
  });
});
