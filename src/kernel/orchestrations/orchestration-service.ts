import { z } from 'zod';
import type { AgentService } from '../agents';
import { KernelError, validationError } from '../errors';
import type { TranscriptStore } from '../transcripts';
import type { ContractStatus, OrchestrationRequest, WorkflowPlan } from '../workflows';
import {
  approvalDecisionBodySchema,
  buildPlan,
  canApprove,
  contractStatus,
  idSchema,
  orchestrationRequestSchema,
  readCustomStatus,
  requestFingerprint,
} from '../workflows';
import type { OrchestrationRecord, OrchestrationStore } from './orchestration-store';
import type { WorkflowInput, WorkflowOutput } from './workflow-input';
import { workflowEvents } from './workflow-input';

/**
 * The orchestration API's logic (contract.md, Orchestrations): submit with
 * idempotency on orchestration_id, status, list, result, stop, cancel, and the
 * ways into a running orchestration (messages, approvals, agent replies). The
 * durable engine is a port; the functions layer adapts the DurableClient to it.
 */

export interface EngineStatus {
  readonly runtimeStatus: string;
  readonly customStatus: unknown;
  readonly output: unknown;
  readonly createdTime: string;
  readonly lastUpdatedTime: string;
}

/** The durable engine as the kernel needs it. */
export interface WorkflowEngine {
  start(instanceId: string, input: WorkflowInput): Promise<void>;
  /** Starts another of the kernel's orchestrators (e.g. fire-and-forget delivery). */
  startNamed(orchestrator: string, instanceId: string, input: unknown): Promise<void>;
  status(instanceId: string): Promise<EngineStatus | undefined>;
  raise(instanceId: string, eventName: string, data: unknown): Promise<void>;
  terminate(instanceId: string, reason: string): Promise<void>;
}

export interface Caller {
  /** The app the caller acts for; null for kernel-wide callers. */
  readonly app_id: string | null;
  /** The caller's principal name (approvals, posted messages). */
  readonly principal: string;
}

export interface OrchestrationServiceOptions {
  readonly store: OrchestrationStore;
  readonly agents: AgentService;
  readonly transcripts: TranscriptStore;
  readonly callbacksEnabled: boolean;
  readonly now?: () => Date;
  readonly newId: () => string;
  /** Keyed digest of secret values for the idempotency fingerprint. */
  readonly secretDigest: (value: string) => string;
  readonly replyTimeoutSeconds?: number;
  /** Waits between status polls after cancel (tests pass a no-op). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface OrchestrationStatusView {
  readonly orchestration_id: string;
  readonly status: ContractStatus;
  readonly agent_ids: readonly string[];
  readonly purpose: { readonly purpose: string; readonly purpose_scope: string };
  readonly created_at: string;
  readonly updated_at: string;
  readonly error: string | null;
  readonly workflow: string;
  readonly progress: { readonly completed_steps: number; readonly total_steps: number } | null;
  readonly custom_status: unknown;
  readonly app_id: string | null;
  readonly stop_requested: boolean;
}

/** Kernel-wide callers (no app) see every orchestration; an app sees its own. */
function visibleTo(caller: Caller, record: OrchestrationRecord): boolean {
  return caller.app_id === null || record.app_id === caller.app_id;
}

const terminalRuntime = new Set(['completed', 'failed', 'terminated', 'canceled']);

const listQuerySchema = z.strictObject({
  status: z.enum(['pending', 'active', 'completed', 'stopped', 'cancelled', 'failed']).optional(),
  agent_id: idSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  continuation: z.string().max(2048).optional(),
});

export const postedMessageSchema = z.strictObject({
  message: z.string().min(1).max(32_768),
  to: idSchema.optional(),
  from: z.string().min(1).max(128).optional(),
});

export const agentReplySchema = z.strictObject({
  message: z.string().max(1_000_000),
  output: z.unknown().optional(),
  route: z.string().max(256).optional(),
});

function errorOf(output: unknown, runtimeStatus: string): string | null {
  if (runtimeStatus.toLowerCase() === 'failed')
    return typeof output === 'string' ? output : 'the orchestration failed';
  const record =
    output !== null && typeof output === 'object' ? (output as Partial<WorkflowOutput>) : undefined;
  if (record?.status === 'failed') {
    const first = record.failures?.[0] as { step_id?: string; error?: string } | undefined;
    return first
      ? `step '${first.step_id ?? '?'}' failed: ${first.error ?? 'unknown error'}`
      : 'a step failed';
  }
  return null;
}

export class OrchestrationService {
  readonly #now: () => Date;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: OrchestrationServiceOptions) {
    this.#now = options.now ?? (() => new Date());
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Validates, checks agents, applies idempotency, starts the durable workflow. */
  async submit(
    body: unknown,
    caller: Caller,
    engine: WorkflowEngine,
    traceparent: string | null,
  ): Promise<{ view: OrchestrationStatusView; created: boolean }> {
    const parsed = orchestrationRequestSchema.safeParse(body);
    if (!parsed.success) throw validationError(parsed.error, 'body');
    const request: OrchestrationRequest = parsed.data;
    const plan: WorkflowPlan = buildPlan(request);
    await this.options.agents.requireAgents(request.agent_ids, caller.app_id);
    if (request.callback_url !== undefined && !this.options.callbacksEnabled) {
      throw new KernelError('unavailable', 'Callbacks are not configured', {
        detail:
          'This kernel has no AOS_CALLBACK_SIGNING_SECRET, so it cannot sign callbacks; omit callback_url or configure it.',
      });
    }
    const id = request.orchestration_id ?? this.options.newId();
    const fingerprint = requestFingerprint(request, { secretDigest: this.options.secretDigest });
    const record: OrchestrationRecord = {
      orchestration_id: id,
      fingerprint,
      app_id: caller.app_id,
      workflow: request.workflow,
      agent_ids: [...request.agent_ids],
      purpose: request.purpose,
      callback_url: request.callback_url ?? null,
      created_at: this.#now().toISOString(),
      stop_requested: false,
    };
    const stored = await this.options.store.create(record);
    if (!stored.created) {
      if (!visibleTo(caller, stored.record)) throw this.notFound(id);
      if (stored.record.fingerprint !== fingerprint) {
        throw new KernelError('conflict', 'Orchestration exists', {
          detail: `An orchestration with id '${id}' exists with a different request.`,
          extensions: { orchestration_id: id },
        });
      }
      // Same request again: the same orchestration (started now if an earlier start was lost).
      if ((await engine.status(id)) === undefined)
        await engine.start(id, this.input(stored.record, request, plan, traceparent));
      return { view: await this.view(stored.record, engine), created: false };
    }
    await engine.start(id, this.input(record, request, plan, traceparent));
    return { view: await this.view(record, engine), created: true };
  }

  private input(
    record: OrchestrationRecord,
    request: OrchestrationRequest,
    plan: WorkflowPlan,
    traceparent: string | null,
  ): WorkflowInput {
    return {
      orchestration_id: record.orchestration_id,
      app_id: record.app_id,
      plan,
      purpose: request.purpose,
      context: request.context,
      callback_url: request.callback_url ?? null,
      traceparent,
      parent: null,
      collaborative: null,
      reply_timeout_seconds: this.options.replyTimeoutSeconds ?? 3600,
    };
  }

  private notFound(id: string): KernelError {
    return KernelError.notFound('Orchestration', `No orchestration with id '${id}'.`);
  }

  private async record(id: string, caller: Caller): Promise<OrchestrationRecord> {
    const parsed = idSchema.safeParse(id);
    if (!parsed.success) throw validationError(parsed.error, 'path');
    const record = await this.options.store.get(id);
    // Another app's orchestration answers exactly like a missing one.
    if (!record || !visibleTo(caller, record)) throw this.notFound(id);
    return record;
  }

  private async view(record: OrchestrationRecord, engine: WorkflowEngine): Promise<OrchestrationStatusView> {
    const status = await engine.status(record.orchestration_id);
    return this.toView(record, status);
  }

  private toView(record: OrchestrationRecord, status: EngineStatus | undefined): OrchestrationStatusView {
    const runtime = status?.runtimeStatus ?? 'Pending';
    const custom = status?.customStatus ?? null;
    const parsedCustom = readCustomStatus(custom);
    const progress =
      parsedCustom?.completed_steps !== undefined && parsedCustom.total_steps !== undefined
        ? { completed_steps: parsedCustom.completed_steps, total_steps: parsedCustom.total_steps }
        : null;
    return {
      orchestration_id: record.orchestration_id,
      status: contractStatus(runtime, custom, status?.output),
      agent_ids: record.agent_ids,
      purpose: record.purpose,
      created_at: record.created_at,
      updated_at: status?.lastUpdatedTime ?? record.created_at,
      error: errorOf(status?.output, runtime),
      workflow: record.workflow,
      progress,
      custom_status: custom,
      app_id: record.app_id,
      stop_requested: record.stop_requested,
    };
  }

  async get(id: string, caller: Caller, engine: WorkflowEngine): Promise<OrchestrationStatusView> {
    return this.view(await this.record(id, caller), engine);
  }

  async list(
    query: Record<string, string>,
    caller: Caller,
    engine: WorkflowEngine,
  ): Promise<{ orchestrations: OrchestrationStatusView[]; continuation?: string }> {
    const parsed = listQuerySchema.safeParse(query);
    if (!parsed.success) throw validationError(parsed.error, 'query');
    const { status, agent_id, limit, continuation } = parsed.data;
    // A status filter needs each record's live status, so it pages over the store until a page fills.
    const views: OrchestrationStatusView[] = [];
    let token = continuation;
    for (let rounds = 0; rounds < 20; rounds += 1) {
      const page = await this.options.store.list({
        ...(caller.app_id === null ? {} : { app_id: caller.app_id }),
        ...(agent_id ? { agent_id } : {}),
        limit,
        ...(token ? { continuation: token } : {}),
      });
      for (const record of page.records) {
        const view = await this.view(record, engine);
        if (!status || view.status === status) views.push(view);
      }
      token = page.continuation;
      if (!token || views.length >= limit || !status) break;
    }
    return token ? { orchestrations: views, continuation: token } : { orchestrations: views };
  }

  async result(id: string, caller: Caller, engine: WorkflowEngine): Promise<Record<string, unknown>> {
    const record = await this.record(id, caller);
    const status = await engine.status(id);
    if (!status || !terminalRuntime.has(status.runtimeStatus.toLowerCase())) {
      throw new KernelError('conflict', 'Orchestration still running', {
        detail: `Orchestration '${id}' has not finished; poll its status or wait for the callback.`,
        extensions: { status: this.toView(record, status).status },
      });
    }
    const view = this.toView(record, status);
    const output = (
      status.output !== null && typeof status.output === 'object' ? status.output : {}
    ) as Partial<WorkflowOutput>;
    const completedAt = output.completed_at ?? status.lastUpdatedTime;
    return {
      ...view,
      results: output.results ?? {},
      failures: output.failures ?? [],
      summary: output.summary ?? (typeof status.output === 'string' ? status.output : ''),
      completed_at: completedAt,
      duration_seconds: Math.max(0, (Date.parse(completedAt) - Date.parse(record.created_at)) / 1000),
      ...(output.turns !== undefined ? { turns: output.turns } : {}),
    };
  }

  private async requireRunning(
    id: string,
    caller: Caller,
    engine: WorkflowEngine,
  ): Promise<OrchestrationRecord> {
    const record = await this.record(id, caller);
    const status = await engine.status(id);
    if (status && terminalRuntime.has(status.runtimeStatus.toLowerCase())) {
      throw new KernelError('conflict', 'Orchestration already finished', {
        detail: `Orchestration '${id}' is ${this.toView(record, status).status}.`,
      });
    }
    return record;
  }

  /** Graceful: the current turn or step finishes, then the run ends as `stopped`. */
  async stop(id: string, caller: Caller, engine: WorkflowEngine): Promise<OrchestrationStatusView> {
    const record = await this.requireRunning(id, caller, engine);
    await this.options.store.update(id, { stop_requested: true });
    await engine.raise(id, workflowEvents.stop, { requested_by: caller.principal });
    return this.view({ ...record, stop_requested: true }, engine);
  }

  /** At once: the durable instance is terminated. */
  async cancel(id: string, caller: Caller, engine: WorkflowEngine): Promise<OrchestrationStatusView> {
    const record = await this.requireRunning(id, caller, engine);
    await engine.terminate(id, `cancelled by ${caller.principal}`);
    for (let i = 0; i < 50; i += 1) {
      const status = await engine.status(id);
      if (status && terminalRuntime.has(status.runtimeStatus.toLowerCase()))
        return this.toView(record, status);
      await this.#sleep(20);
    }
    return { ...(await this.view(record, engine)), status: 'cancelled' };
  }

  /** A message posted into a running collaborative orchestration joins its transcript. */
  async postMessage(
    id: string,
    body: unknown,
    caller: Caller,
    engine: WorkflowEngine,
  ): Promise<{
    message_id: string;
    orchestration_id: string;
    status: 'accepted';
    from: string;
    accepted_at: string;
  }> {
    const parsed = postedMessageSchema.safeParse(body);
    if (!parsed.success) throw validationError(parsed.error, 'body');
    const record = await this.requireRunning(id, caller, engine);
    if (record.workflow !== 'collaborative') {
      throw new KernelError('conflict', 'Not a conversation', {
        detail: `Orchestration '${id}' runs a ${record.workflow} workflow; messages join collaborative orchestrations.`,
      });
    }
    const from = parsed.data.from ? `user:${parsed.data.from}` : `user:${caller.principal}`;
    const acceptedAt = this.#now().toISOString();
    const index = await this.options.transcripts.append(id, [
      {
        turn: -1,
        speaker: from,
        message: parsed.data.message,
        ...(parsed.data.to ? { output: { to: parsed.data.to } } : {}),
        at: acceptedAt,
      },
    ]);
    return {
      message_id: `${id}:${index - 1}`,
      orchestration_id: id,
      status: 'accepted',
      from,
      accepted_at: acceptedAt,
    };
  }

  /** An approver's decision on a gate the orchestration is waiting at. */
  async decideApproval(
    id: string,
    stepId: string,
    body: unknown,
    caller: Caller,
    engine: WorkflowEngine,
  ): Promise<OrchestrationStatusView> {
    const parsed = approvalDecisionBodySchema.safeParse(body);
    if (!parsed.success) throw validationError(parsed.error, 'body');
    const record = await this.requireRunning(id, caller, engine);
    const status = await engine.status(id);
    const waiting = readCustomStatus(status?.customStatus)?.waiting_for;
    if (!waiting || waiting.step_id !== stepId) {
      throw new KernelError('conflict', 'No such pending approval', {
        detail: `Orchestration '${id}' is not waiting for an approval at step '${stepId}'.`,
      });
    }
    if (!canApprove({ approvers: waiting.approvers } as Parameters<typeof canApprove>[0], caller.principal)) {
      throw new KernelError('forbidden', 'Not an approver', {
        detail: `'${caller.principal}' is not among the approvers of step '${stepId}'.`,
      });
    }
    await engine.raise(id, workflowEvents.approval(stepId), {
      outcome: parsed.data.outcome,
      approver: caller.principal,
      ...(parsed.data.comment === undefined ? {} : { comment: parsed.data.comment }),
    });
    return this.view(record, engine);
  }

  /** The late reply of an agent that answered 202. */
  async agentReply(
    id: string,
    taskId: string,
    body: unknown,
    caller: Caller,
    engine: WorkflowEngine,
  ): Promise<void> {
    const parsed = agentReplySchema.safeParse(body);
    if (!parsed.success) throw validationError(parsed.error, 'body');
    const task = z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,256}$/)
      .safeParse(taskId);
    if (!task.success) throw validationError(task.error, 'path');
    await this.requireRunning(id, caller, engine);
    await engine.raise(id, workflowEvents.reply(taskId), parsed.data);
  }
}
