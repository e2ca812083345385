import { KernelError, validationError } from '../errors';
import type { ExtensionRegistry } from '../extensions';
import type { AgentRegistry, SecretStore } from './ports';
import type { AgentRegistration, TransportRegistration } from './registration-schema';
import { agentIdPattern, agentRegistrationSchema, defaultRetryPolicy } from './registration-schema';
import {
  agentSecretName,
  agentSecretPrefix,
  collectSecretReferences,
  maskSecrets,
  maskedValue,
} from './secrets';
import type { AgentRecord, RetryPolicy, SecretReference, TransportConfig } from './types';

/**
 * Agent registration and lookup. Registration is idempotent (same agent_id →
 * update); secret values given at registration go to the secret store and the
 * record keeps references only; responses (toWire) never carry secret values.
 */

export interface AgentServiceOptions {
  readonly registry: AgentRegistry;
  readonly secrets: SecretStore;
  readonly extensions: ExtensionRegistry;
  readonly now?: () => Date;
  /** Largest record, as JSON characters, the service stores (Table storage holds ~1 MiB per row). */
  readonly maxRecordChars?: number;
}

export interface RegisterContext {
  /** The registering app; null for kernel-wide registrations (operators). */
  readonly app_id: string | null;
}

export interface RegisterResult {
  readonly record: AgentRecord;
  /** False when the agent existed and was updated. */
  readonly created: boolean;
}

/** An agent as the HTTP API answers it: the contract's fields, transport with secrets masked. */
export type AgentWire = Omit<AgentRecord, 'transport' | 'app_id'> & {
  readonly transport: Readonly<Record<string, unknown>> | null;
};

export const defaultAgentType = 'generic';

function agentNotFound(agentId: string): KernelError {
  return new KernelError('not_found', 'Agent not found', {
    detail: `No agent '${agentId}' is registered.`,
    extensions: { agent_id: agentId },
  });
}

export class AgentService {
  private readonly now: () => Date;
  private readonly maxRecordChars: number;

  constructor(private readonly options: AgentServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.maxRecordChars = options.maxRecordChars ?? 200_000;
  }

  /**
   * Validates and stores a registration. Registering an existing agent updates it:
   * registered_at stays, updated_at moves, created is false. An agent registered by
   * one app cannot be taken over by another (409); kernel-wide callers (app_id null)
   * may update any agent and keep its owner.
   */
  async register(body: unknown, context: RegisterContext): Promise<RegisterResult> {
    const parsed = agentRegistrationSchema(this.options.extensions).safeParse(body);
    if (!parsed.success) throw validationError(parsed.error, 'body');
    const registration = parsed.data;
    const agentId = registration.agent_id;

    const existing = await this.options.registry.get(agentId);
    if (existing !== undefined && context.app_id !== null && existing.app_id !== context.app_id) {
      throw new KernelError('conflict', 'Agent belongs to another app', {
        detail: `Agent '${agentId}' is registered by another app and cannot be changed by this one.`,
        extensions: { agent_id: agentId },
      });
    }

    const { transport, secrets } = this.separateSecrets(agentId, registration.transport ?? null);
    const now = this.now().toISOString();
    const record: AgentRecord = {
      agent_id: agentId,
      agent_type: registration.agent_type ?? defaultAgentType,
      name: registration.name ?? agentId,
      purpose: registration.purpose,
      adapter_name: registration.adapter_name ?? '',
      capabilities: registration.capabilities ?? [],
      model: registration.model ?? null,
      tools: registration.tools ?? [],
      config: registration.config ?? {},
      metadata: registration.metadata ?? {},
      registered_at: existing?.registered_at ?? now,
      updated_at: now,
      transport,
      retry: retryPolicyOf(registration),
      app_id: existing === undefined ? context.app_id : existing.app_id,
    };
    const size = JSON.stringify(record).length;
    if (size > this.maxRecordChars) {
      throw KernelError.validation(
        [
          {
            field: '',
            in: 'body',
            message: `the agent record would be ${size} characters of JSON; at most ${this.maxRecordChars} are stored (config, metadata and tools are the usual culprits)`,
          },
        ],
        'The agent registration is too large.',
      );
    }

    // New secrets first, then the record that refers to them, then secrets no longer
    // referred to: a call in flight never finds a reference without its secret.
    for (const [name, value] of secrets) await this.options.secrets.put(name, value);
    await this.options.registry.put(record);
    const kept = new Set(secrets.keys());
    const stale = collectSecretReferences(existing?.transport ?? null).filter(
      (name) => !kept.has(name) && name.startsWith(agentSecretPrefix(agentId)),
    );
    for (const name of new Set(stale)) await this.options.secrets.delete(name);

    return { record, created: existing === undefined };
  }

  /** The agent's record; 404 (KernelError not_found naming the id) when unknown. */
  async get(agentId: string): Promise<AgentRecord> {
    if (!agentIdPattern.test(agentId)) throw agentNotFound(agentId.slice(0, 128));
    const record = await this.options.registry.get(agentId);
    if (record === undefined) throw agentNotFound(agentId);
    return record;
  }

  /** Registered agents, optionally of one type (and of one app), sorted by agent_id. */
  async list(agentType?: string, filter: { readonly app_id?: string | null } = {}): Promise<AgentRecord[]> {
    const records = await this.options.registry.list({
      ...(agentType === undefined ? {} : { agent_type: agentType }),
      ...(filter.app_id === undefined ? {} : { app_id: filter.app_id }),
    });
    return [...records].sort((a, b) => (a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0));
  }

  /**
   * The records of the agents a caller bound to `appId` (null: kernel-wide) may put
   * to work, in the order given (duplicates once). Throws one not_found naming every
   * unknown id (detail and `unknown_agent_ids`); another app's agent counts as
   * unknown, with the same 404 word for word, so an app cannot use it. (Registering
   * a taken id still answers 409, so ids themselves are not secret.)
   */
  async requireAgents(agentIds: readonly string[], appId: string | null): Promise<AgentRecord[]> {
    const ids = [...new Set(agentIds)];
    const records = await Promise.all(
      ids.map(async (id) => {
        const record = agentIdPattern.test(id) ? await this.options.registry.get(id) : undefined;
        return record !== undefined && agentVisibleTo(appId, record) ? record : undefined;
      }),
    );
    const unknown = ids.filter((_, index) => records[index] === undefined);
    if (unknown.length > 0) {
      const shown = unknown.map((id) => id.slice(0, 128));
      throw new KernelError('not_found', unknown.length === 1 ? 'Agent not found' : 'Agents not found', {
        detail: `Unknown agent ${unknown.length === 1 ? 'id' : 'ids'}: ${shown.join(', ')}.`,
        extensions: { unknown_agent_ids: shown },
      });
    }
    return records as AgentRecord[];
  }

  /** The record as the API answers it. Never throws; secret values and references become `***`. */
  toWire(record: AgentRecord): AgentWire {
    let transport: Readonly<Record<string, unknown>> | null;
    try {
      transport =
        record.transport === null
          ? null
          : (maskSecrets(record.transport) as Readonly<Record<string, unknown>>);
    } catch {
      transport = { type: maskedValue };
    }
    return {
      agent_id: record.agent_id,
      agent_type: record.agent_type,
      name: record.name,
      purpose: record.purpose,
      adapter_name: record.adapter_name,
      capabilities: record.capabilities,
      model: record.model,
      tools: record.tools,
      config: record.config,
      metadata: record.metadata,
      registered_at: record.registered_at,
      updated_at: record.updated_at,
      transport,
      retry: record.retry,
    };
  }

  /** Moves the secret fields the transport type declares into secret names. */
  private separateSecrets(
    agentId: string,
    transport: TransportRegistration | null,
  ): { transport: TransportConfig | null; secrets: Map<string, string> } {
    const secrets = new Map<string, string>();
    if (transport === null) return { transport: null, secrets };
    const definition = this.options.extensions.transportDefinition(transport.type);
    const stored: Record<string, unknown> = { ...transport };
    for (const [field, segment] of Object.entries(definition?.secretFields ?? {})) {
      const values = transport[field];
      if (typeof values !== 'object' || values === null) continue;
      const references: Record<string, SecretReference> = {};
      for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
        if (typeof value !== 'string') continue;
        const name = agentSecretName(agentId, segment, key);
        secrets.set(name, value);
        references[key] = { secret_ref: name };
      }
      stored[field] = references;
    }
    return { transport: stored as TransportConfig, secrets };
  }
}

function retryPolicyOf(registration: AgentRegistration): RetryPolicy {
  return registration.retry ?? defaultRetryPolicy;
}

/**
 * Whether a caller bound to `appId` (null: kernel-wide) may see and use an agent:
 * kernel-wide callers see every agent, app callers their own app's and the shared
 * (kernel-wide) ones.
 */
export function agentVisibleTo(appId: string | null, record: Pick<AgentRecord, 'app_id'>): boolean {
  return appId === null || record.app_id === null || record.app_id === appId;
}
