/**
 * Orchestrations: the orchestration API's logic over two ports, the record store
 * and the durable engine. Must not import durable-functions; src/functions
 * adapts the DurableClient to WorkflowEngine and hosts the orchestrator.
 */
export { OrchestrationService, agentReplySchema, postedMessageSchema } from './orchestration-service';
export type {
  Caller,
  EngineStatus,
  OrchestrationServiceOptions,
  OrchestrationStatusView,
  WorkflowEngine,
} from './orchestration-service';
export type { OrchestrationListQuery, OrchestrationRecord, OrchestrationStore } from './orchestration-store';
export { workflowEvents, workflowOrchestratorName } from './workflow-input';
export type { WorkflowInput, WorkflowOutput } from './workflow-input';
