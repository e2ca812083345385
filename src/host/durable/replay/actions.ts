/**
 * The actions an out-of-process orchestrator returns (durable-functions'
 * OrchestratorState.actions), with the numeric action types of the protocol.
 */

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  ScheduledSignalEntity: 10,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export interface RetryOptionsWire {
  readonly firstRetryIntervalInMilliseconds: number;
  readonly maxNumberOfAttempts: number;
  readonly backoffCoefficient?: number;
  readonly maxRetryIntervalInMilliseconds?: number;
  readonly retryTimeoutInMilliseconds?: number;
}

export interface OrchestratorAction {
  readonly actionType: number;
  readonly functionName?: string;
  readonly input?: unknown;
  readonly retryOptions?: RetryOptionsWire;
  readonly instanceId?: string;
  readonly fireAt?: string;
  readonly isCanceled?: boolean;
  readonly externalEventName?: string;
  readonly compoundActions?: readonly OrchestratorAction[];
  readonly httpRequest?: unknown;
  readonly operation?: string;
}

/** What the orchestrator function returned (or carried in its failure). */
export interface OrchestratorState {
  readonly isDone: boolean;
  readonly actions: readonly (readonly OrchestratorAction[])[];
  readonly output?: unknown;
  readonly error?: string;
  readonly customStatus?: unknown;
  readonly schemaVersion?: number;
}

export function actionLabel(action: OrchestratorAction): string {
  const type =
    Object.entries(ActionType).find(([, value]) => value === action.actionType)?.[0] ??
    `action ${action.actionType}`;
  if (action.functionName) return `${type} '${action.functionName}'`;
  if (action.externalEventName) return `${type} '${action.externalEventName}'`;
  if (action.operation) return `${type} '${action.operation}' on ${action.instanceId ?? '?'}`;
  return type;
}
