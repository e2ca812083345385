import type {
  AgentRecord,
  AgentRegistry,
  AgentTask,
  AgentTransport,
  SecretStore,
  TransportResult,
} from '../agents';
import { TransportError, createSecretResolver, defaultRetryPolicy } from '../agents';
import type { ExtensionRegistry } from '../extensions';
import type { CircuitBreakerOptions } from './circuit-breaker';
import { CircuitBreaker } from './circuit-breaker';
import type { AgentCallAuditRecord, AuditSink, PolicyGate, StepStatus } from './ports';
import { allowAllPolicyGate, discardAuditSink } from './ports';

/**
 * The executor: one agent call for one workflow step, as a durable activity runs
 * it. It resolves the agent and its transport, asks the policy gate, calls with
 * the agent's timeout and retry policy behind a per-agent circuit breaker, and
 * writes one audit record. It never throws: every outcome is a StepResult.
 */

export interface StepError {
  /**
   * agent_not_found, no_transport, policy_denied, policy_error, circuit_open,
   * registry_error, or the transport's code (timeout, unreachable, http_status,
   * invalid_reply, …; see TransportErrorCode).
   */
  readonly code: string;
  /** Written by the kernel: safe to show; never a secret, payload or reply body. */
  readonly message: string;
  /** The agent's HTTP status, when it answered with one. */
  readonly status?: number;
}

export interface StepResult {
  readonly task_id: string;
  readonly agent_id: string;
  readonly step: string;
  readonly status: StepStatus;
  readonly message?: string;
  readonly output?: unknown;
  readonly route?: string;
  readonly error?: StepError;
  /** Transport calls made (0 when none was: unknown agent, denied, circuit open). */
  readonly attempts: number;
  readonly started_at: string;
  readonly completed_at: string;
  readonly duration_ms: number;
}

export interface ExecuteInput {
  readonly task: AgentTask;
  /** W3C traceparent of the orchestration, forwarded to the agent. */
  readonly traceparent?: string;
}

export interface AgentExecutorOptions {
  readonly agents: AgentRegistry;
  readonly secrets: SecretStore;
  readonly extensions: ExtensionRegistry;
  /** Default: allow everything. */
  readonly policy?: PolicyGate;
  /** Default: discard. */
  readonly audit?: AuditSink;
  /** Audit writes that fail are reported here and do not fail the step. */
  readonly onAuditError?: (error: unknown, record: AgentCallAuditRecord) => void;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Timeout for transports that set none (default 30 s). */
  readonly defaultTimeoutSeconds?: number;
  /** Circuit breaker settings; its clock defaults to `now`. */
  readonly circuitBreaker?: CircuitBreakerOptions;
  /** Longest wait a Retry-After may ask for between attempts (default 60 s). */
  readonly maxRetryDelayMs?: number;
}

interface Outcome {
  readonly status: StepStatus;
  readonly attempts: number;
  readonly transport: string | null;
  readonly message?: string;
  readonly output?: unknown;
  readonly route?: string;
  readonly error?: StepError;
  readonly reason?: string;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class AgentExecutor {
  readonly breaker: CircuitBreaker;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly policy: PolicyGate;
  private readonly audit: AuditSink;

  constructor(private readonly options: AgentExecutorOptions) {
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? realSleep;
    this.policy = options.policy ?? allowAllPolicyGate;
    this.audit = options.audit ?? discardAuditSink;
    this.breaker = new CircuitBreaker({ now: () => this.now().getTime(), ...options.circuitBreaker });
  }

  async execute(input: ExecuteInput): Promise<StepResult> {
    const started = this.now();
    let outcome: Outcome;
    const seen: { agent?: AgentRecord } = {};
    try {
      outcome = await this.run(input, seen);
    } catch (error) {
      // run() handles every expected failure; this is a kernel bug, still reported as a result.
      outcome = {
        status: 'failed',
        attempts: 0,
        transport: null,
        error: { code: 'internal', message: `the executor failed unexpectedly (${describe(error)})` },
      };
    }
    const completed = this.now();
    const durationMs = Math.max(0, completed.getTime() - started.getTime());
    const { task } = input;
    await this.writeAudit({
      event_type: 'agent.call',
      subject_id: task.agent_id,
      subject_type: 'agent',
      action: 'call',
      // The work's app when the task says (an app's orchestration may call shared agents).
      app_id: task.app_id !== undefined ? task.app_id : (seen.agent?.app_id ?? null),
      agent_app_id: seen.agent?.app_id ?? null,
      outcome: outcome.status,
      task_id: task.task_id,
      orchestration_id: task.orchestration_id,
      step: task.step,
      transport: outcome.transport,
      duration_ms: durationMs,
      attempts: outcome.attempts,
      ...(outcome.error === undefined ? {} : { error_code: outcome.error.code }),
      ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
      timestamp: completed.toISOString(),
    });
    return {
      task_id: task.task_id,
      agent_id: task.agent_id,
      step: task.step,
      status: outcome.status,
      ...(outcome.message === undefined ? {} : { message: outcome.message }),
      ...(outcome.output === undefined ? {} : { output: outcome.output }),
      ...(outcome.route === undefined ? {} : { route: outcome.route }),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
      attempts: outcome.attempts,
      started_at: started.toISOString(),
      completed_at: completed.toISOString(),
      duration_ms: durationMs,
    };
  }

  private async run({ task, traceparent }: ExecuteInput, seen: { agent?: AgentRecord }): Promise<Outcome> {
    const failed = (code: string, message: string, transport: string | null = null): Outcome => ({
      status: 'failed',
      attempts: 0,
      transport,
      error: { code, message },
    });

    let agent: AgentRecord | undefined;
    try {
      agent = await this.options.agents.get(task.agent_id);
      if (agent !== undefined) seen.agent = agent;
    } catch (error) {
      return failed('registry_error', `the agent registry could not be read (${describe(error)})`);
    }
    if (agent === undefined) return failed('agent_not_found', `no agent '${task.agent_id}' is registered`);
    if (agent.transport === null) {
      return failed('no_transport', `agent '${agent.agent_id}' was registered without a transport`);
    }
    const type = agent.transport.type;
    const transport = this.options.extensions.transport(type);
    if (transport === undefined) {
      return failed('no_transport', `no '${type}' transport is available in this deployment`, type);
    }

    try {
      const decision = await this.policy.decide({ agent, task });
      if (!decision.allow) {
        return {
          status: 'denied',
          attempts: 0,
          transport: type,
          error: { code: 'policy_denied', message: decision.reason },
          reason: decision.reason,
        };
      }
    } catch (error) {
      return failed(
        'policy_error',
        `the policy gate could not decide (${describe(error)}); the call was not made`,
        type,
      );
    }

    return this.callWithRetries(agent, transport, task, traceparent);
  }

  private async callWithRetries(
    agent: AgentRecord,
    transport: AgentTransport,
    task: AgentTask,
    traceparent: string | undefined,
  ): Promise<Outcome> {
    const retry = agent.retry ?? defaultRetryPolicy;
    const maxAttempts = Math.max(1, Math.floor(retry.max_attempts));
    const coefficient = retry.backoff_coefficient ?? defaultRetryPolicy.backoff_coefficient ?? 2;
    const timeoutSeconds =
      numberSetting(agent.transport, 'timeout_seconds') ?? this.options.defaultTimeoutSeconds ?? 30;
    const timeoutMs = Math.max(1, Math.round(timeoutSeconds * 1000));
    const secrets = createSecretResolver(this.options.secrets);
    const key = agent.agent_id;

    let attempts = 0;
    let lastError: TransportError | undefined;
    while (attempts < maxAttempts) {
      if (!this.breaker.tryAcquire(key)) {
        if (lastError !== undefined) break; // the circuit opened during our own retries: report the agent's error
        const retryAt = this.breaker.retryAt(key);
        return {
          status: 'failed',
          attempts: 0,
          transport: transport.type,
          error: {
            code: 'circuit_open',
            message:
              `agent '${key}' failed ${this.breaker.failureThreshold} times in a row; calls fail fast` +
              (retryAt === undefined ? '' : ` until ${new Date(retryAt).toISOString()}`),
          },
        };
      }
      attempts += 1;
      let result: TransportResult;
      try {
        result = await this.attempt(transport, { agent, task, timeoutMs, secrets, traceparent });
      } catch (error) {
        lastError = asTransportError(error, transport.type);
        if (lastError.retryable) this.breaker.failure(key);
        else this.breaker.success(key); // the agent answered, or the fault is not its availability
        if (!lastError.retryable) break;
        if (attempts < maxAttempts) {
          const backoff = retry.backoff_ms * coefficient ** (attempts - 1);
          const asked = Math.min(lastError.retryAfterMs ?? 0, this.options.maxRetryDelayMs ?? 60_000);
          await this.sleep(Math.max(backoff, asked));
        }
        continue;
      }
      this.breaker.success(key);
      if (result.kind === 'accepted') return { status: 'pending', attempts, transport: transport.type };
      const { message, output, route } = result.reply;
      return {
        status: 'succeeded',
        attempts,
        transport: transport.type,
        message,
        ...(output === undefined ? {} : { output }),
        ...(route === undefined ? {} : { route }),
      };
    }
    const error = lastError ?? new TransportError('no attempt was made', false);
    return {
      status: 'failed',
      attempts,
      transport: transport.type,
      error: {
        code: error.code,
        message: error.message,
        ...(error.status === undefined ? {} : { status: error.status }),
      },
    };
  }

  /** One transport call under the timeout; a transport that ignores its signal still times out. */
  private async attempt(
    transport: AgentTransport,
    call: {
      agent: AgentRecord;
      task: AgentTask;
      timeoutMs: number;
      secrets: ReturnType<typeof createSecretResolver>;
      traceparent: string | undefined;
    },
  ): Promise<TransportResult> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(
          new TransportError(`agent did not answer within ${call.timeoutMs} ms`, true, undefined, {
            code: 'timeout',
          }),
        );
      }, call.timeoutMs);
    });
    try {
      return await Promise.race([
        transport.invoke({
          agent: call.agent,
          task: call.task,
          timeoutMs: call.timeoutMs,
          signal: controller.signal,
          secrets: call.secrets,
          ...(call.traceparent === undefined ? {} : { traceparent: call.traceparent }),
        }),
        deadline,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async writeAudit(record: AgentCallAuditRecord): Promise<void> {
    try {
      await this.audit.write(record);
    } catch (error) {
      this.options.onAuditError?.(error, record);
    }
  }
}

function numberSetting(config: unknown, name: string): number | undefined {
  const value = (config as Record<string, unknown> | null)?.[name];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

function asTransportError(error: unknown, type: string): TransportError {
  if (error instanceof TransportError) return error;
  return new TransportError(
    `the '${type}' transport failed unexpectedly (${describe(error)})`,
    false,
    undefined,
    {
      code: 'transport_error',
      cause: error,
    },
  );
}

/** The error's kind, never its message: messages of foreign errors may carry secrets. */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} ${code}` : error.name;
  }
  return typeof error;
}
