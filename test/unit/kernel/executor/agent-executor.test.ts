import { describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../../../../src/adapters/memory/memory-audit-sink';
import type { AgentTransport, TransportCall, TransportResult } from '../../../../src/kernel/agents';
import { TransportError } from '../../../../src/kernel/agents';
import type { AgentExecutorOptions, PolicyGate } from '../../../../src/kernel/executor';
import { AgentExecutor } from '../../../../src/kernel/executor';
import { makeAgentServices, makeTask } from '../agents/fixtures';

/**
 * The executor: policy first, then the transport under timeout, retries and the
 * circuit breaker, then one audit record without payloads. Time is a manual clock.
 */

type Step = TransportResult | TransportError | Error | 'hang';

/** A transport that plays a script, one entry per call, and records what it was given. */
class ScriptedTransport implements AgentTransport {
  readonly calls: TransportCall[] = [];
  constructor(
    readonly type: string,
    private readonly script: Step[],
    private readonly fallback: Step = { kind: 'reply', reply: { message: 'ok' } },
  ) {}

  async invoke(call: TransportCall): Promise<TransportResult> {
    this.calls.push(call);
    const step = this.script.shift() ?? this.fallback;
    if (step === 'hang') return new Promise<never>(() => undefined);
    if (step instanceof Error) throw step;
    return step;
  }
}

const reply = (message: string, extra: object = {}): TransportResult => ({
  kind: 'reply',
  reply: { message, ...extra },
});
const unavailable = () => new TransportError('agent answered HTTP 503', true, 503, { code: 'http_status' });
const rejected = () => new TransportError('agent answered HTTP 400', false, 400, { code: 'http_status' });

interface SetUpOptions {
  readonly script?: Step[];
  readonly fallback?: Step;
  readonly retry?: Record<string, number>;
  readonly timeoutSeconds?: number;
  readonly executor?: Partial<AgentExecutorOptions>;
}

async function setUp(options: SetUpOptions = {}) {
  const services = makeAgentServices();
  const transport = new ScriptedTransport('scripted', options.script ?? [], options.fallback);
  services.extensions.registerTransport(transport);
  await services.service.register(
    {
      agent_id: 'worker',
      purpose: 'Does the work',
      transport: {
        type: 'scripted',
        ...(options.timeoutSeconds === undefined ? {} : { timeout_seconds: options.timeoutSeconds }),
      },
      ...(options.retry === undefined ? {} : { retry: options.retry }),
    },
    { app_id: null },
  );
  let clock = Date.parse('2026-03-01T12:00:00Z');
  const sleeps: number[] = [];
  const audit = new MemoryAuditSink();
  const executor = new AgentExecutor({
    agents: services.registry,
    secrets: services.secrets,
    extensions: services.extensions,
    audit,
    now: () => new Date(clock),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    ...options.executor,
  });
  return {
    ...services,
    executor,
    transport,
    audit,
    sleeps,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('AgentExecutor', () => {
  it('returns the reply as a succeeded step with timings', async () => {
    const { executor, transport } = await setUp({
      script: [reply('done', { output: { n: 1 }, route: 'critic' })],
    });
    const result = await executor.execute({ task: makeTask('worker'), traceparent: '00-abc-def-01' });
    expect(result).toEqual({
      task_id: 'task-1',
      agent_id: 'worker',
      step: 'step-1',
      status: 'succeeded',
      message: 'done',
      output: { n: 1 },
      route: 'critic',
      attempts: 1,
      started_at: '2026-03-01T12:00:00.000Z',
      completed_at: '2026-03-01T12:00:00.000Z',
      duration_ms: 0,
    });
    expect(transport.calls[0]).toMatchObject({ timeoutMs: 30_000, traceparent: '00-abc-def-01' });
  });

  it('reports an accepted call as pending', async () => {
    const { executor } = await setUp({ script: [{ kind: 'accepted' }] });
    expect(await executor.execute({ task: makeTask('worker') })).toMatchObject({
      status: 'pending',
      attempts: 1,
    });
  });

  it('fails with agent_not_found for an unknown agent, without throwing', async () => {
    const { executor, audit } = await setUp();
    const result = await executor.execute({ task: makeTask('ghost') });
    expect(result).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'agent_not_found' } });
    expect(result.error?.message).toContain("'ghost'");
    expect(audit.records).toEqual([
      expect.objectContaining({ subject_id: 'ghost', error_code: 'agent_not_found' }),
    ]);
  });

  it('fails with no_transport for an agent registered without one', async () => {
    const { executor, service } = await setUp();
    await service.register({ agent_id: 'mute', purpose: 'p' }, { app_id: null });
    expect(await executor.execute({ task: makeTask('mute') })).toMatchObject({
      status: 'failed',
      error: { code: 'no_transport' },
    });
  });

  it('fails with no_transport when the type has no implementation (mcp for now)', async () => {
    const { executor, service } = await setUp();
    await service.register(
      { agent_id: 'tool', purpose: 'p', transport: { type: 'mcp', server: 's', tool: 't' } },
      { app_id: null },
    );
    const result = await executor.execute({ task: makeTask('tool') });
    expect(result).toMatchObject({ status: 'failed', error: { code: 'no_transport' } });
    expect(result.error?.message).toContain("'mcp'");
  });

  it('fails with registry_error when the registry cannot be read', async () => {
    const { executor } = await setUp({
      executor: {
        agents: {
          get: () => Promise.reject(new Error('table down AccountKey=zzz')),
          put: () => Promise.resolve(),
          list: () => Promise.resolve([]),
        },
      },
    });
    const result = await executor.execute({ task: makeTask('worker') });
    expect(result).toMatchObject({ status: 'failed', error: { code: 'registry_error' } });
    expect(JSON.stringify(result)).not.toContain('AccountKey');
  });

  describe('policy', () => {
    it('asks the gate first and makes no call when it denies', async () => {
      const seen: string[] = [];
      const policy: PolicyGate = {
        decide: ({ agent, task }) => {
          seen.push(`${agent.agent_id}/${task.task_id}`);
          return { allow: false, reason: 'outside business hours' };
        },
      };
      const { executor, transport, audit } = await setUp({ executor: { policy } });
      const result = await executor.execute({ task: makeTask('worker') });
      expect(seen).toEqual(['worker/task-1']);
      expect(transport.calls).toHaveLength(0);
      expect(result).toMatchObject({
        status: 'denied',
        attempts: 0,
        error: { code: 'policy_denied', message: 'outside business hours' },
      });
      expect(audit.records[0]).toMatchObject({ outcome: 'denied', reason: 'outside business hours' });
    });

    it('makes no call when the gate fails (fails closed)', async () => {
      const policy: PolicyGate = { decide: () => Promise.reject(new Error('policy store down')) };
      const { executor, transport } = await setUp({ executor: { policy } });
      const result = await executor.execute({ task: makeTask('worker') });
      expect(transport.calls).toHaveLength(0);
      expect(result).toMatchObject({ status: 'failed', error: { code: 'policy_error' } });
    });
  });

  describe('retries', () => {
    it('retries retryable failures with exponential backoff, then succeeds', async () => {
      const { executor, sleeps, transport } = await setUp({
        script: [unavailable(), unavailable(), reply('third')],
      });
      const result = await executor.execute({ task: makeTask('worker') });
      expect(result).toMatchObject({ status: 'succeeded', message: 'third', attempts: 3 });
      expect(transport.calls).toHaveLength(3);
      expect(sleeps).toEqual([500, 1000]);
      expect(result.duration_ms).toBe(1500);
    });

    it("follows the agent's retry policy and reports the last error", async () => {
      const { executor, sleeps } = await setUp({
        retry: { max_attempts: 4, backoff_ms: 100, backoff_coefficient: 3 },
        fallback: unavailable(),
      });
      const result = await executor.execute({ task: makeTask('worker') });
      expect(result).toMatchObject({
        status: 'failed',
        attempts: 4,
        error: { code: 'http_status', status: 503, message: 'agent answered HTTP 503' },
      });
      expect(sleeps).toEqual([100, 300, 900]);
    });

    it('does not retry non-retryable failures', async () => {
      const { executor, transport, sleeps } = await setUp({ script: [rejected()] });
      const result = await executor.execute({ task: makeTask('worker') });
      expect(result).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { code: 'http_status', status: 400 },
      });
      expect(transport.calls).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });

    it('waits as long as Retry-After asks, within the cap', async () => {
      const busy = new TransportError('agent answered HTTP 429', true, 429, { retryAfterMs: 5_000 });
      const greedy = new TransportError('agent answered HTTP 429', true, 429, { retryAfterMs: 3_600_000 });
      const { executor, sleeps } = await setUp({ script: [busy, greedy, reply('ok')] });
      await executor.execute({ task: makeTask('worker') });
      expect(sleeps).toEqual([5_000, 60_000]);
    });

    it('treats an unexpected transport exception as a non-retryable failure without its message', async () => {
      const { executor } = await setUp({ script: [new Error('token=abc leaked in a message')] });
      const result = await executor.execute({ task: makeTask('worker') });
      expect(result).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'transport_error' } });
      expect(JSON.stringify(result)).not.toContain('token=abc');
    });

    it('times out a transport that never answers, even if it ignores its signal', async () => {
      const { executor, transport } = await setUp({
        timeoutSeconds: 0.05,
        retry: { max_attempts: 2, backoff_ms: 0 },
        fallback: 'hang',
      });
      const result = await executor.execute({ task: makeTask('worker') });
      expect(result).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'timeout' } });
      expect(transport.calls[0]?.timeoutMs).toBe(50);
      expect(transport.calls[0]?.signal.aborted).toBe(true);
    });
  });

  describe('circuit breaker', () => {
    const breaker = { failureThreshold: 3, cooldownMs: 10_000 };

    it('opens after consecutive failures and then fails fast without calling', async () => {
      const { executor, transport } = await setUp({
        retry: { max_attempts: 1 },
        fallback: unavailable(),
        executor: { circuitBreaker: breaker },
      });
      for (let i = 0; i < 3; i += 1) {
        expect((await executor.execute({ task: makeTask('worker') })).error?.code).toBe('http_status');
      }
      const fast = await executor.execute({ task: makeTask('worker') });
      expect(fast).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'circuit_open' } });
      expect(fast.error?.message).toContain('2026-03-01T12:00:10.000Z');
      expect(transport.calls).toHaveLength(3);
      expect(executor.breaker.state('worker')).toBe('open');
    });

    it('lets one trial call through after the cool-down; success closes the circuit', async () => {
      const { executor, transport, advance } = await setUp({
        retry: { max_attempts: 1 },
        script: [unavailable(), unavailable(), unavailable()],
        executor: { circuitBreaker: breaker },
      });
      for (let i = 0; i < 3; i += 1) await executor.execute({ task: makeTask('worker') });
      advance(9_999);
      expect((await executor.execute({ task: makeTask('worker') })).error?.code).toBe('circuit_open');
      advance(1);
      expect(executor.breaker.state('worker')).toBe('half_open');
      expect(await executor.execute({ task: makeTask('worker') })).toMatchObject({ status: 'succeeded' });
      expect(executor.breaker.state('worker')).toBe('closed');
      expect(transport.calls).toHaveLength(4);
    });

    it('re-opens for another cool-down when the trial fails', async () => {
      const { executor, transport, advance } = await setUp({
        retry: { max_attempts: 1 },
        fallback: unavailable(),
        executor: { circuitBreaker: breaker },
      });
      for (let i = 0; i < 3; i += 1) await executor.execute({ task: makeTask('worker') });
      advance(10_000);
      expect((await executor.execute({ task: makeTask('worker') })).error?.code).toBe('http_status');
      expect(transport.calls).toHaveLength(4);
      expect((await executor.execute({ task: makeTask('worker') })).error?.code).toBe('circuit_open');
      expect(transport.calls).toHaveLength(4);
    });

    it('refuses other calls while the half-open trial is in flight', async () => {
      let release: (result: TransportResult) => void = () => undefined;
      const { executor, transport, advance } = await setUp({
        retry: { max_attempts: 1 },
        script: [unavailable(), unavailable(), unavailable()],
        executor: { circuitBreaker: breaker },
      });
      for (let i = 0; i < 3; i += 1) await executor.execute({ task: makeTask('worker') });
      advance(10_000);
      transport.invoke = (call) => {
        transport.calls.push(call);
        return new Promise<TransportResult>((resolve) => {
          release = resolve;
        });
      };
      const trial = executor.execute({ task: makeTask('worker') });
      const other = await executor.execute({ task: makeTask('worker', { task_id: 'task-2' }) });
      expect(other.error?.code).toBe('circuit_open');
      release(reply('recovered'));
      expect((await trial).status).toBe('succeeded');
      expect(transport.calls).toHaveLength(4);
    });

    it('stops retrying when the circuit opens mid-call, reporting the agent error', async () => {
      const { executor, transport } = await setUp({
        retry: { max_attempts: 5, backoff_ms: 1 },
        fallback: unavailable(),
        executor: { circuitBreaker: breaker },
      });
      const result = await executor.execute({ task: makeTask('worker') });
      expect(result).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'http_status' } });
      expect(transport.calls).toHaveLength(3);
    });

    it('keeps a circuit per agent', async () => {
      const { executor, service, transport } = await setUp({
        retry: { max_attempts: 1 },
        script: [unavailable(), unavailable(), unavailable()],
        executor: { circuitBreaker: breaker },
      });
      await service.register(
        { agent_id: 'other', purpose: 'p', transport: { type: 'scripted' } },
        { app_id: null },
      );
      for (let i = 0; i < 3; i += 1) await executor.execute({ task: makeTask('worker') });
      expect((await executor.execute({ task: makeTask('other') })).status).toBe('succeeded');
      expect(transport.calls).toHaveLength(4);
    });

    it('does not count non-retryable answers: the agent is up', async () => {
      const { executor } = await setUp({
        retry: { max_attempts: 1 },
        fallback: rejected(),
        executor: { circuitBreaker: breaker },
      });
      for (let i = 0; i < 5; i += 1) await executor.execute({ task: makeTask('worker') });
      expect(executor.breaker.state('worker')).toBe('closed');
    });
  });

  describe('audit', () => {
    it('writes one record per call with outcome, timing and attempts, and no payload or secret', async () => {
      const { executor, audit, service } = await setUp({
        script: [unavailable(), reply('the secret answer 4242', { output: { card: '4111-1111' } })],
      });
      await service.register(
        {
          agent_id: 'worker',
          purpose: 'Does the work',
          transport: { type: 'scripted', token: 'clear-token-value' },
        },
        { app_id: null },
      );
      const task = makeTask('worker', { input: 'private input 1234', context: { customer: 'Jane Roe' } });
      await executor.execute({ task });
      expect(audit.records).toEqual([
        {
          event_type: 'agent.call',
          subject_id: 'worker',
          subject_type: 'agent',
          action: 'call',
          app_id: null,
          agent_app_id: null,
          outcome: 'succeeded',
          task_id: 'task-1',
          orchestration_id: 'orch-1',
          step: 'step-1',
          transport: 'scripted',
          duration_ms: 500,
          attempts: 2,
          timestamp: '2026-03-01T12:00:00.500Z',
        },
      ]);
      const text = JSON.stringify(audit.records);
      for (const leak of ['private input', 'Jane Roe', 'secret answer', '4111', 'clear-token-value']) {
        expect(text).not.toContain(leak);
      }
    });

    it("records the work's app (the task's, else the agent's), so app-bound auditors see their calls", async () => {
      const { executor, audit, service } = await setUp();
      await service.register(
        { agent_id: 'app-worker', purpose: 'Works for one app', transport: { type: 'scripted' } },
        { app_id: 'app-a' },
      );
      await executor.execute({ task: makeTask('app-worker') });
      await executor.execute({ task: makeTask('nobody') });
      // The task names the app the work is for: a shared agent's call belongs to that app.
      await service.register(
        { agent_id: 'shared', purpose: 'Shared', transport: { type: 'scripted' } },
        { app_id: null },
      );
      await executor.execute({ task: { ...makeTask('shared'), app_id: 'app-b' } });
      expect(audit.records.map((record) => [record.subject_id, record.app_id, record.agent_app_id])).toEqual([
        ['app-worker', 'app-a', 'app-a'],
        ['nobody', null, null],
        ['shared', 'app-b', null],
      ]);
    });

    it('records the error code of a failed call', async () => {
      const { executor, audit } = await setUp({ script: [rejected()] });
      await executor.execute({ task: makeTask('worker') });
      expect(audit.records[0]).toMatchObject({ outcome: 'failed', error_code: 'http_status', attempts: 1 });
    });

    it('does not fail the step when the audit sink fails, and reports it', async () => {
      const reported: unknown[] = [];
      const { executor } = await setUp({
        executor: {
          audit: { write: () => Promise.reject(new Error('audit down')) },
          onAuditError: (error) => reported.push(error),
        },
      });
      expect((await executor.execute({ task: makeTask('worker') })).status).toBe('succeeded');
      expect(reported).toHaveLength(1);
    });
  });

  it('runs builtin agents end to end', async () => {
    const { executor, service } = await setUp();
    await service.register(
      {
        agent_id: 'triage',
        purpose: 'Routes requests',
        transport: { type: 'builtin', name: 'router' },
        config: { routes: { invoice: 'billing' } },
      },
      { app_id: null },
    );
    const result = await executor.execute({ task: makeTask('triage', { input: 'Where is my invoice?' }) });
    expect(result).toMatchObject({ status: 'succeeded', route: 'billing' });
    expect(result.message).toContain('[ROUTE:billing]');
  });
});
