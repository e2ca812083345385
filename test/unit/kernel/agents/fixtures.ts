import { MemoryAgentRegistry } from '../../../../src/adapters/memory/memory-agent-registry';
import { MemorySecretStore } from '../../../../src/adapters/memory/memory-secret-store';
import type { AgentRecord, AgentTask, CoreTransportOptions } from '../../../../src/kernel/agents';
import { AgentService, createKernelExtensionRegistry } from '../../../../src/kernel/agents';

/** Shared set-up for the agent, transport and executor tests. */

export function makeTask(agentId: string, overrides: Partial<AgentTask> = {}): AgentTask {
  return {
    task_id: 'task-1',
    orchestration_id: 'orch-1',
    agent_id: agentId,
    workflow: 'sequential',
    step: 'step-1',
    purpose: { purpose: 'Answer the customer', purpose_scope: 'General orchestration scope' },
    input: 'hello',
    context: {},
    ...overrides,
  };
}

export function makeAgentServices(options: CoreTransportOptions & { now?: () => Date } = {}) {
  const extensions = createKernelExtensionRegistry(options);
  const registry = new MemoryAgentRegistry();
  const secrets = new MemorySecretStore();
  const service = new AgentService({
    registry,
    secrets,
    extensions,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { extensions, registry, secrets, service };
}

/** A stepping clock: each call is one second after the previous. */
export function steppingClock(start = '2026-01-01T00:00:00Z'): () => Date {
  let t = Date.parse(start);
  return () => {
    const now = new Date(t);
    t += 1000;
    return now;
  };
}

export function record(overrides: Partial<AgentRecord> = {}): AgentRecord {
  return {
    agent_id: 'a1',
    agent_type: 'generic',
    name: 'a1',
    purpose: 'p',
    adapter_name: '',
    capabilities: [],
    model: null,
    tools: [],
    config: {},
    metadata: {},
    registered_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    transport: { type: 'builtin', name: 'echo' },
    retry: { max_attempts: 3, backoff_ms: 500, backoff_coefficient: 2 },
    app_id: null,
    ...overrides,
  };
}
