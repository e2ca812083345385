/**
 * Workflows: the orchestration request, the plans it becomes, and the pure
 * decisions the durable orchestrator takes while walking a plan (routing, turns,
 * dependencies, inputs, results, approvals, status).
 *
 * Everything here must stay pure and deterministic: it runs inside orchestrator
 * generators that replay. No clock, no randomness, no I/O, no environment reads,
 * no Azure or Functions libraries, nothing from host, functions or adapters.
 */
export type { StepDefinition, WorkflowKind, WorkflowPlan } from './types';
export {
  callbackUrlProblem,
  canonicalJson,
  defaultPurposeScope,
  idPattern,
  idSchema,
  maxAgentsPerOrchestration,
  maxCallbackUrlLength,
  orchestrationRequestSchema,
  requestFingerprint,
  workflowKinds,
} from './request';
export type {
  FingerprintOptions,
  McpServerConfig,
  OrchestrationPurpose,
  OrchestrationRequest,
} from './request';
export {
  buildPlan,
  maxApprovalDeadlineSeconds,
  maxStepsPerPlan,
  maxSubWorkflowDepth,
  planDefaults,
  planLength,
  stepIdPattern,
} from './plan';
export type { PlanInput } from './plan';
export { aggregateResults, completedStep, failedStep, skippedStep, stepValue } from './results';
export type { StepFailure, StepResult, StepStatus, WorkflowOutcome } from './results';
export { parseRoutingTags, routingFromReply, withoutCode } from './routing';
export type { RoutingTags } from './routing';
export {
  continueAsNewState,
  initialCollaborativeState,
  nextTurn,
  receiveMessages,
  requestStop,
  shouldContinueAsNew,
} from './collaborative';
export type {
  CollaborativeEnd,
  CollaborativeState,
  PostedMessage,
  TranscriptEntry,
  TurnDecision,
  TurnInput,
} from './collaborative';
export {
  dagStepInput,
  emptyDagState,
  isFinished,
  markRunning,
  markSettled,
  readySteps,
  stepsToSkip,
} from './dag';
export type { DagState } from './dag';
export { sequentialInput } from './sequential';
export { parallelInput } from './parallel';
export { delegateInput, delegationFrom, integrationInput, specialistsOf } from './hierarchical';
export type {
  DelegateInput,
  Delegation,
  DelegationPlan,
  IgnoredDelegation,
  IntegrateInput,
} from './hierarchical';
export { approvalDeadline, approvalDecisionBodySchema, approvalOutcome, canApprove } from './approval';
export type { ApprovalDecision, ApprovalOutcome, ApprovalOutcomeValue, ApprovalStep } from './approval';
export { contractStatus, progress, readCustomStatus } from './status';
export type {
  ContractStatus,
  DurableRuntimeStatus,
  OrchestrationCustomStatus,
  OrchestrationEnd,
  OrchestrationPhase,
  Progress,
} from './status';
