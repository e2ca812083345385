/**
 * Agents as the kernel knows them: the registration record (snake_case on the
 * wire, per contract.md), how the kernel reaches each agent (its transport), and
 * the task/reply protocol every transport carries.
 */
import type { ZodType } from 'zod';

/** How the kernel reaches an agent. Secret values never live here: only references. */
export type TransportConfig =
  | { readonly type: 'builtin'; readonly name: string }
  | {
      readonly type: 'http';
      readonly url: string;
      readonly timeout_seconds?: number;
      /** Header name → secret reference (the value is kept in the secret store). */
      readonly headers?: Readonly<Record<string, SecretReference>>;
    }
  | {
      readonly type: 'servicebus';
      readonly queue: string;
      readonly reply_queue?: string;
      readonly timeout_seconds?: number;
    }
  | {
      readonly type: 'mcp';
      readonly server: string;
      readonly tool: string;
      readonly timeout_seconds?: number;
    }
  | { readonly type: string; readonly [setting: string]: unknown };

/** A stored secret, named, never the value. */
export interface SecretReference {
  readonly secret_ref: string;
}

export interface RetryPolicy {
  /** Attempts in all, first included (1 = no retry). */
  readonly max_attempts: number;
  readonly backoff_ms: number;
  readonly backoff_coefficient?: number;
}

export interface AgentRecord {
  readonly agent_id: string;
  readonly agent_type: string;
  readonly name: string;
  readonly purpose: string;
  readonly adapter_name: string;
  readonly capabilities: readonly string[];
  readonly model: string | null;
  readonly tools: readonly unknown[];
  readonly config: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly registered_at: string;
  readonly updated_at: string;
  /** Absent: registered but not reachable; asking it fails with a clear error. */
  readonly transport: TransportConfig | null;
  readonly retry: RetryPolicy;
  /** The app that registered it, for app isolation (auth issue); null for kernel-wide agents. */
  readonly app_id: string | null;
}

/** What the kernel sends an agent for one step (the agent author's reference: docs/agent-protocol.md). */
export interface AgentTask {
  readonly task_id: string;
  readonly orchestration_id: string | null;
  /** The app the work is done for (the orchestration's or the caller's; null: kernel-wide). */
  readonly app_id?: string | null;
  readonly agent_id: string;
  readonly workflow: string | null;
  readonly step: string;
  readonly purpose: { readonly purpose: string; readonly purpose_scope: string };
  /** What the workflow hands this step (e.g. the previous agent's output, or the transcript). */
  readonly input: unknown;
  /** The orchestration's context. */
  readonly context: Readonly<Record<string, unknown>>;
  /** Where an agent that answered 202 posts its reply later. */
  readonly reply_url?: string;
}

/** An agent's answer. */
export interface AgentReply {
  readonly message: string;
  readonly output?: unknown;
  /** A routing tag or agent id the agent suggests as the next speaker. */
  readonly route?: string;
}

/** What one transport call produced. */
export type TransportResult =
  { readonly kind: 'reply'; readonly reply: AgentReply } | { readonly kind: 'accepted' };

export interface TransportCall {
  readonly agent: AgentRecord;
  readonly task: AgentTask;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** W3C traceparent to forward. */
  readonly traceparent?: string;
  /** Resolves secret references in the agent's transport. */
  readonly secrets: SecretResolver;
}

export interface SecretResolver {
  resolve(reference: SecretReference): Promise<string>;
}

/** A way to reach agents, registered in the extension registry under its type. */
export interface AgentTransport {
  readonly type: string;
  invoke(call: TransportCall): Promise<TransportResult>;
}

/**
 * Why a transport call failed, for the step result and the audit record. Transports
 * may use their own codes; these are the ones the kernel's transports use.
 */
export type TransportErrorCode =
  /** No answer within the agent's timeout (retryable). */
  | 'timeout'
  /** The agent could not be reached: connection refused, DNS, reset (retryable). */
  | 'unreachable'
  /** The agent answered with an HTTP error status (retryable for 408, 429 and 5xx). */
  | 'http_status'
  /** The agent answered a redirect; the kernel does not follow them (secrets would travel). */
  | 'redirect'
  /** The agent answered, but not with a valid reply. */
  | 'invalid_reply'
  /** The stored transport or agent config is not usable. */
  | 'invalid_config'
  /** A secret the transport refers to is gone from the secret store. */
  | 'secret_missing'
  /** The builtin agent named by the transport is not registered. */
  | 'unknown_builtin'
  /** The agent's own code failed (builtin agents). */
  | 'agent_error'
  /** A message could not be handed to the broker (retryable). */
  | 'send_failed'
  | 'transport_error';

export interface TransportErrorOptions {
  readonly code?: TransportErrorCode | (string & {});
  /** The agent asked to wait this long before retrying (Retry-After). */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/**
 * Transport failures carry whether retrying can help. Messages are written by the
 * kernel and safe to show and log: they never hold secrets, payloads or reply bodies.
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: string;
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    options: TransportErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code =
      options.code ?? (status !== undefined ? 'http_status' : retryable ? 'unreachable' : 'transport_error');
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isTransportError(value: unknown): value is TransportError {
  return value instanceof TransportError;
}

/** What a builtin agent is given for one task. */
export interface BuiltinAgentCall {
  readonly agent: AgentRecord;
  readonly task: AgentTask;
  readonly signal: AbortSignal;
}

/**
 * An agent that runs inside the kernel (transport `{"type":"builtin","name":…}`):
 * small, deterministic agents for local runs, demos and tests, registered in the
 * extension registry by name.
 */
export interface BuiltinAgent {
  readonly name: string;
  /** One line for operators: what the agent does with its input. */
  readonly description: string;
  /** Checks the `config` of agents that use this builtin, at registration. */
  readonly configSchema?: ZodType;
  handle(call: BuiltinAgentCall): AgentReply | Promise<AgentReply>;
}
