import type { FailureDetails, HistoryEvent } from './history';

/**
 * The local Durable runtime's data model and its two seams: the store port
 * (memory, or Azure Tables + Blobs) and the engine API that the management HTTP
 * endpoints and the testing API call.
 */

export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

export const terminalStatuses: ReadonlySet<RuntimeStatus> = new Set([
  'Completed',
  'Failed',
  'Terminated',
  'Canceled',
]);

/** What the runtime keeps about an orchestration instance (not its history). */
export interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  /** JSON text of the input, output and custom status, as Durable stores them. */
  input: string | undefined;
  output: string | undefined;
  customStatus: string | undefined;
  failureDetails: FailureDetails | undefined;
  createdTime: string;
  lastUpdatedTime: string;
  /** Set for sub-orchestrations: where to report completion. */
  parent: { instanceId: string; executionId: string; taskScheduledId: number; name: string } | undefined;
}

/** A message waiting in an instance's inbox: the next episode consumes it. */
export interface InboxMessage {
  readonly id: string;
  readonly instanceId: string;
  /** Only deliver at or after this time (timers); ISO text. */
  readonly visibleAt?: string | undefined;
  readonly event: HistoryEvent;
}

/** Work the runtime has to do outside an episode. */
export type WorkItem =
  | {
      readonly kind: 'activity';
      readonly id: string;
      readonly instanceId: string;
      readonly executionId: string;
      readonly taskScheduledId: number;
      readonly name: string;
      /** JSON text. */
      readonly input: string | undefined;
    }
  | {
      readonly kind: 'entity';
      readonly id: string;
      /** Scheduler id `@name@key`. */
      readonly entityId: string;
      /** The request message JSON as the library writes it. */
      readonly message: string;
      readonly visibleAt?: string | undefined;
    };

/** Entity state kept by the runtime, keyed by scheduler id `@name@key`. */
export interface EntityRecord {
  readonly entityId: string;
  readonly exists: boolean;
  /** JSON text. */
  readonly state: string | undefined;
  readonly lastModifiedTime: string;
}

/** Everything a store hands back at start-up so the runtime can resume. */
export interface StoredState {
  readonly instances: readonly InstanceRecord[];
  readonly histories: ReadonlyMap<string, readonly HistoryEvent[]>;
  readonly inbox: readonly InboxMessage[];
  readonly work: readonly WorkItem[];
  readonly entities: readonly EntityRecord[];
}

/**
 * One atomic-as-possible set of changes. The runtime keeps the authoritative
 * state in memory and journals every change here before acting on it, so a
 * restarted host loads exactly what was committed.
 */
export interface StoreChange {
  readonly putInstances?: readonly InstanceRecord[];
  /** Appends to an instance's history; `reset` first drops the old history (continueAsNew). */
  readonly appendHistory?: readonly {
    instanceId: string;
    reset?: boolean;
    events: readonly HistoryEvent[];
  }[];
  readonly addInbox?: readonly InboxMessage[];
  readonly removeInbox?: readonly string[];
  readonly addWork?: readonly WorkItem[];
  readonly removeWork?: readonly string[];
  readonly putEntities?: readonly EntityRecord[];
  /** Deletes instances with their history and inbox. */
  readonly purge?: readonly string[];
}

export interface DurableStore {
  readonly kind: string;
  load(): Promise<StoredState>;
  commit(change: StoreChange): Promise<void>;
  close?(): Promise<void>;
}

/** Filters for listing instances (the management API's query). */
export interface InstanceQuery {
  readonly runtimeStatus?: readonly RuntimeStatus[];
  readonly createdTimeFrom?: Date;
  readonly createdTimeTo?: Date;
  readonly instanceIdPrefix?: string;
  readonly pageSize?: number;
  readonly continuationToken?: string;
}

export interface StatusOptions {
  readonly showHistory?: boolean;
  readonly showHistoryOutput?: boolean;
  readonly showInput?: boolean;
}

/** An instance's status as the management API reports it (extension's JSON names). */
export interface InstanceStatusView {
  readonly name: string;
  readonly instanceId: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly input: unknown;
  readonly customStatus: unknown;
  readonly output: unknown;
  readonly createdTime: string;
  readonly lastUpdatedTime: string;
  readonly historyEvents?: readonly Record<string, unknown>[];
}

export type ManagementResult = 'accepted' | 'notFound' | 'gone' | 'conflict';

/** What the management endpoints and the testing API may ask of the runtime. */
export interface DurableEngineApi {
  readonly taskHubName: string;
  hasOrchestrator(name: string): boolean;
  startOrchestration(
    name: string,
    options: { instanceId?: string | undefined; input?: unknown },
  ): Promise<string>;
  getStatus(instanceId: string, options?: StatusOptions): InstanceStatusView | undefined;
  queryInstances(
    query: InstanceQuery,
    options?: StatusOptions,
  ): { instances: InstanceStatusView[]; continuationToken?: string | undefined };
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<ManagementResult>;
  terminate(instanceId: string, reason: string): Promise<ManagementResult>;
  suspend(instanceId: string, reason: string): Promise<ManagementResult>;
  resume(instanceId: string, reason: string): Promise<ManagementResult>;
  restart(instanceId: string, restartWithNewInstanceId: boolean): Promise<string | undefined>;
  purge(instanceId: string): Promise<number>;
  purgeWhere(query: InstanceQuery): Promise<number>;
  getEntityState(name: string, key: string): { exists: boolean; state: unknown } | undefined;
  signalEntity(name: string, key: string, operation: string, input: unknown): Promise<void>;
}
