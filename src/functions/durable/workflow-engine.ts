import type { DurableClient } from 'durable-functions';
import type { EngineStatus, WorkflowEngine, WorkflowInput } from '../../kernel/orchestrations';
import { workflowOrchestratorName } from '../../kernel/orchestrations';

/** The kernel's WorkflowEngine port over the Durable Functions client. */
export function durableWorkflowEngine(client: DurableClient): WorkflowEngine {
  return {
    async start(instanceId: string, input: WorkflowInput): Promise<void> {
      await client.startNew(workflowOrchestratorName, { instanceId, input });
    },
    async startNamed(orchestrator: string, instanceId: string, input: unknown): Promise<void> {
      await client.startNew(orchestrator, { instanceId, input });
    },
    async status(instanceId: string): Promise<EngineStatus | undefined> {
      try {
        const status = await client.getStatus(instanceId, { showInput: false });
        return {
          runtimeStatus: String(status.runtimeStatus),
          customStatus: status.customStatus ?? null,
          output: status.output ?? null,
          createdTime: new Date(status.createdTime).toISOString(),
          lastUpdatedTime: new Date(status.lastUpdatedTime).toISOString(),
        };
      } catch (error) {
        // The client reports a missing instance as an error naming HTTP 404.
        if (error instanceof Error && /\b404\b/.test(error.message)) return undefined;
        throw error;
      }
    },
    async raise(instanceId: string, eventName: string, data: unknown): Promise<void> {
      await client.raiseEvent(instanceId, eventName, data);
    },
    async terminate(instanceId: string, reason: string): Promise<void> {
      await client.terminate(instanceId, reason);
    },
  };
}
