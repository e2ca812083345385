import { randomUUID } from 'node:crypto';
import type { RpcTypedData } from '../app/core-types';
import type { Registrations } from '../app/functions-core';
import type { FunctionInvoker } from '../app/invoker';
import { FunctionInvocationError } from '../app/invoker';
import type { HostLogger } from '../logger';
import type { Clock, ClockTimer } from './clock';
import type { DurableFunction, DurableFunctionIndex } from './durable-functions-index';
import { indexDurableFunctions } from './durable-functions-index';
import type { FailureDetails, HistoryEvent } from './history';
import { EventType, eventTypeNames, historyEvent } from './history';
import type { OrchestratorState } from './replay/actions';
import type { ActivityFailure, Decision } from './replay/action-replayer';
import { httpActivityName, replayActions } from './replay/action-replayer';
import type {
  DurableEngineApi,
  DurableStore,
  EntityRecord,
  InboxMessage,
  InstanceQuery,
  InstanceRecord,
  InstanceStatusView,
  ManagementResult,
  RuntimeStatus,
  StatusOptions,
  StoreChange,
  WorkItem,
} from './types';
import { terminalStatuses } from './types';

/**
 * The local Durable Task runtime: instances, their histories and inboxes, the
 * episode loop that drives the app's real orchestrator functions, activities and
 * entities through the Functions invoker, durable timers on a (real or virtual)
 * clock, and the management operations the DurableClient and webhooks call.
 * Every change is journalled to the store before it takes effect, so a restarted
 * host resumes from what was committed.
 */

export interface DurableRuntimeOptions {
  readonly registrations: Registrations;
  readonly invoker: FunctionInvoker;
  readonly logger: HostLogger;
  /** The store, or how to open it (opening may fail while storage is unreachable; start() can be retried). */
  readonly store: DurableStore | (() => Promise<DurableStore>);
  readonly clock: Clock;
  readonly taskHubName: string;
  readonly maxConcurrentActivityFunctions?: number;
  readonly maxConcurrentOrchestratorFunctions?: number;
  readonly maximumShortTimerMs?: number;
  readonly longRunningTimerIntervalMs?: number;
  /** Virtual clocks only: jump to the next timer whenever nothing else can happen. */
  readonly autoSkipTime?: boolean;
}

const day = 24 * 60 * 60 * 1000;

interface InstanceState {
  record: InstanceRecord;
  history: HistoryEvent[];
  inbox: InboxMessage[];
  busy: boolean;
  queued: boolean;
  /** Names of external events the last episode left it waiting for. */
  waitingForEvents: boolean;
  timers: Map<string, ClockTimer>;
}

interface EntityQueue {
  record: EntityRecord;
  pending: Extract<WorkItem, { kind: 'entity' }>[];
  busy: boolean;
}

export class DurableRuntimeError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function typedDataToJsonText(data: RpcTypedData | null | undefined): string {
  if (!data) return 'null';
  if (typeof data.json === 'string') return data.json;
  if (typeof data.string === 'string') return JSON.stringify(data.string);
  if (typeof data.int === 'number') return JSON.stringify(data.int);
  if (typeof data.double === 'number') return JSON.stringify(data.double);
  if (data.bytes) return JSON.stringify(Buffer.from(data.bytes).toString('base64'));
  return 'null';
}

function errorFailure(error: unknown): FailureDetails {
  const inner = error instanceof FunctionInvocationError ? error.reason : error;
  if (inner instanceof Error) {
    return { ErrorType: inner.name || 'Error', ErrorMessage: inner.message, StackTrace: inner.stack };
  }
  return { ErrorType: 'Error', ErrorMessage: String(inner) };
}

const outOfProcLabel = '$OutOfProcData$:';

/** Reads the orchestrator state out of a failed episode, as the extension does. */
export function stateFromFailure(error: unknown): { state: OrchestratorState | undefined; message: string } {
  const inner = error instanceof FunctionInvocationError ? error.reason : error;
  const message = inner instanceof Error ? inner.message : String(inner);
  const index = message.indexOf(outOfProcLabel);
  if (index < 0) return { state: undefined, message };
  try {
    const state = JSON.parse(message.slice(index + outOfProcLabel.length)) as OrchestratorState;
    return { state, message: message.slice(0, index).trim() };
  } catch {
    return { state: undefined, message: message.slice(0, index).trim() };
  }
}

export class DurableRuntime implements DurableEngineApi {
  readonly taskHubName: string;
  readonly functions: DurableFunctionIndex;
  readonly clock: Clock;
  #store: DurableStore | undefined;
  #instances = new Map<string, InstanceState>();
  #entities = new Map<string, EntityQueue>();
  #episodeQueue: string[] = [];
  #activityQueue: Extract<WorkItem, { kind: 'activity' }>[] = [];
  #runningEpisodes = 0;
  #runningActivities = 0;
  #runningEntities = 0;
  #started = false;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];
  #pumpScheduled = false;
  /** Commits not yet settled, so stop() can wait for them. */
  readonly #commitsInFlight = new Set<Promise<void>>();
  #autoSkip: boolean;
  readonly #maxActivities: number;
  readonly #maxEpisodes: number;
  readonly #maxShortTimerMs: number;
  readonly #longTimerIntervalMs: number;

  constructor(private readonly options: DurableRuntimeOptions) {
    this.taskHubName = options.taskHubName;
    this.clock = options.clock;
    this.functions = indexDurableFunctions(options.registrations);
    this.#maxActivities = options.maxConcurrentActivityFunctions ?? 10;
    this.#maxEpisodes = options.maxConcurrentOrchestratorFunctions ?? 10;
    this.#maxShortTimerMs = options.maximumShortTimerMs ?? 6 * day;
    this.#longTimerIntervalMs = options.longRunningTimerIntervalMs ?? 3 * day;
    this.#autoSkip = options.autoSkipTime ?? false;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Loads what the store holds and resumes every instance, activity, entity operation and timer. */
  async start(): Promise<void> {
    if (this.#started || this.#stopped) return;
    const option = this.options.store;
    const store = typeof option === 'function' ? await option() : option;
    const stored = await store.load();
    this.#store = store;
    this.#started = true;
    for (const record of stored.instances) {
      this.#instances.set(record.instanceId, {
        record: { ...record },
        history: [...(stored.histories.get(record.instanceId) ?? [])],
        inbox: [],
        busy: false,
        queued: false,
        waitingForEvents: false,
        timers: new Map(),
      });
    }
    for (const entity of stored.entities) {
      this.#entities.set(entity.entityId, { record: entity, pending: [], busy: false });
    }
    for (const message of stored.inbox) this.deliver(message);
    for (const work of stored.work) this.dispatchWork(work);
    const resumed = stored.instances.filter((r) => !terminalStatuses.has(r.runtimeStatus)).length;
    if (stored.instances.length > 0) {
      this.options.logger.info(
        `Durable: loaded ${stored.instances.length} instance(s) from the ${store.kind} store; ${resumed} still running, ${stored.work.length} work item(s) to run again.`,
      );
    }
    this.pump();
  }

  /** Stops taking new work and waits for episodes and activities in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const state of this.#instances.values()) for (const timer of state.timers.values()) timer.cancel();
    const deadline = Date.now() + 10_000;
    while (
      (this.#runningEpisodes > 0 || this.#runningActivities > 0 || this.#runningEntities > 0) &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all([...this.#commitsInFlight].map((commit) => commit.catch(() => undefined)));
    await this.#store?.close?.();
  }

  setAutoSkip(enabled: boolean): void {
    this.#autoSkip = enabled;
    this.pump();
  }

  /** Resolves when nothing is running or queued (timers may still be pending). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  isIdle(): boolean {
    return (
      this.#runningEpisodes === 0 &&
      this.#runningActivities === 0 &&
      this.#runningEntities === 0 &&
      this.#episodeQueue.length === 0 &&
      this.#activityQueue.length === 0 &&
      [...this.#entities.values()].every((e) => e.pending.length === 0 && !e.busy)
    );
  }

  // ---------------------------------------------------------------- store

  private requireStore(): DurableStore {
    if (!this.#store)
      throw new DurableRuntimeError(
        409,
        'The Durable runtime has not started yet: its storage is not reachable.',
      );
    return this.#store;
  }

  get started(): boolean {
    return this.#started;
  }

  /**
   * Hands a change to the store; the in-memory state already reflects it. Commits
   * run concurrently: the store orders those that touch the same partition (an
   * instance, with its history, inbox and activity work; an entity) in call order,
   * so a message is never removed before the commit that added it, while unrelated
   * instances do not wait for each other.
   */
  private commit(change: StoreChange): Promise<void> {
    const next = this.requireStore().commit(change);
    this.#commitsInFlight.add(next);
    const settled = () => this.#commitsInFlight.delete(next);
    next.then(settled, (error: unknown) => {
      settled();
      this.options.logger.error(
        `Durable: failed to commit to the ${this.#store?.kind ?? 'durable'} store: ${String(error)}`,
      );
    });
    return next;
  }

  // ---------------------------------------------------------------- scheduling

  private pump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (this.#stopped) return;
    while (this.#runningEpisodes < this.#maxEpisodes && this.#episodeQueue.length > 0) {
      const instanceId = this.#episodeQueue.shift()!;
      const state = this.#instances.get(instanceId);
      if (!state) continue;
      state.queued = false;
      if (state.busy) continue;
      this.#runningEpisodes += 1;
      state.busy = true;
      void this.runEpisode(state)
        .catch((error: unknown) => this.internalError(`episode of '${state.record.instanceId}'`, error))
        .finally(() => {
          state.busy = false;
          this.#runningEpisodes -= 1;
          if (this.visibleMessages(state).length > 0) this.enqueueEpisode(state);
          this.pump();
        });
    }
    while (this.#runningActivities < this.#maxActivities && this.#activityQueue.length > 0) {
      const work = this.#activityQueue.shift()!;
      this.#runningActivities += 1;
      void this.runActivity(work)
        .catch((error: unknown) => this.internalError(`activity '${work.name}'`, error))
        .finally(() => {
          this.#runningActivities -= 1;
          this.pump();
        });
    }
    for (const queue of this.#entities.values()) {
      if (queue.busy || queue.pending.length === 0) continue;
      queue.busy = true;
      this.#runningEntities += 1;
      void this.runEntityBatch(queue)
        .catch((error: unknown) => this.internalError(`entity ${queue.record.entityId}`, error))
        .finally(() => {
          queue.busy = false;
          this.#runningEntities -= 1;
          this.pump();
        });
    }
    if (this.isIdle()) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const waiter of waiters) waiter();
      this.maybeSkipTime();
    }
  }

  /** A runtime bug must not take the host down; it is logged and the work item is dropped. */
  private internalError(what: string, error: unknown): void {
    this.options.logger.error(
      `Durable: the local runtime failed while running the ${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  }

  /** Time skipping: when every instance waits only on timers, jump to the next one. */
  private maybeSkipTime(): void {
    const clock = this.clock as Clock & {
      nextTimerAt?: () => number | undefined;
      advanceTo?: (t: number) => void;
    };
    if (!this.#autoSkip || !clock.nextTimerAt || !clock.advanceTo) return;
    for (const state of this.#instances.values()) {
      if (!terminalStatuses.has(state.record.runtimeStatus) && state.waitingForEvents) return;
    }
    const next = clock.nextTimerAt();
    if (next !== undefined) clock.advanceTo(next);
  }

  private enqueueEpisode(state: InstanceState): void {
    if (state.queued) return;
    state.queued = true;
    this.#episodeQueue.push(state.record.instanceId);
    this.pump();
  }

  private visibleMessages(state: InstanceState): InboxMessage[] {
    const now = this.clock.now();
    const visible = state.inbox.filter((m) => !m.visibleAt || Date.parse(m.visibleAt) <= now);
    if (state.record.runtimeStatus !== 'Suspended') return visible;
    // A suspended instance only hears resume and terminate.
    return visible.filter(
      (m) =>
        m.event.EventType === EventType.ExecutionResumed ||
        m.event.EventType === EventType.ExecutionTerminated,
    );
  }

  /** Puts a message in its instance's inbox (creating an empty instance shell for a start message). */
  private deliver(message: InboxMessage): void {
    let state = this.#instances.get(message.instanceId);
    if (!state) {
      if (message.event.EventType !== EventType.ExecutionStarted) {
        this.options.logger.warn(
          `Durable: dropped ${eventTypeNames[message.event.EventType]} for unknown instance '${message.instanceId}'.`,
        );
        return;
      }
      state = this.newInstanceState(message);
      this.#instances.set(message.instanceId, state);
    }
    state.inbox.push(message);
    if (message.visibleAt && Date.parse(message.visibleAt) > this.clock.now()) {
      this.armTimer(state, message);
    } else {
      this.enqueueEpisode(state);
    }
  }

  private armTimer(state: InstanceState, message: InboxMessage): void {
    const timer = this.clock.schedule(Date.parse(message.visibleAt!), () => {
      state.timers.delete(message.id);
      this.enqueueEpisode(state);
      this.pump();
    });
    state.timers.set(message.id, timer);
  }

  private newInstanceState(start: InboxMessage): InstanceState {
    const now = new Date(this.clock.now()).toISOString();
    const event = start.event;
    return {
      record: {
        instanceId: start.instanceId,
        name: event.Name ?? '',
        executionId: event.OrchestrationInstance?.ExecutionId ?? randomUUID().replace(/-/g, ''),
        runtimeStatus: 'Pending',
        input: event.Input,
        output: undefined,
        customStatus: undefined,
        failureDetails: undefined,
        createdTime: now,
        lastUpdatedTime: now,
        parent: event.ParentInstance
          ? {
              instanceId: event.ParentInstance.OrchestrationInstance.InstanceId,
              executionId: event.ParentInstance.OrchestrationInstance.ExecutionId,
              taskScheduledId: event.ParentInstance.TaskScheduleId,
              name: event.ParentInstance.Name,
            }
          : undefined,
      },
      history: [],
      inbox: [],
      busy: false,
      queued: false,
      waitingForEvents: false,
      timers: new Map(),
    };
  }

  private message(instanceId: string, event: HistoryEvent, visibleAt?: string): InboxMessage {
    return { id: randomUUID(), instanceId, event, ...(visibleAt ? { visibleAt } : {}) };
  }

  private dispatchWork(work: WorkItem): void {
    if (work.kind === 'activity') {
      this.#activityQueue.push(work);
    } else {
      let queue = this.#entities.get(work.entityId);
      if (!queue) {
        queue = {
          record: {
            entityId: work.entityId,
            exists: false,
            state: undefined,
            lastModifiedTime: new Date(this.clock.now()).toISOString(),
          },
          pending: [],
          busy: false,
        };
        this.#entities.set(work.entityId, queue);
      }
      const target = queue;
      if (work.visibleAt && Date.parse(work.visibleAt) > this.clock.now()) {
        this.clock.schedule(Date.parse(work.visibleAt), () => {
          target.pending.push(work);
          this.pump();
        });
        return;
      }
      target.pending.push(work);
    }
    this.pump();
  }

  // ---------------------------------------------------------------- episodes

  private async runEpisode(state: InstanceState): Promise<void> {
    const messages = this.visibleMessages(state);
    if (messages.length === 0) {
      // Woken early (or by a message that is not due yet): make sure every future message has a timer.
      for (const message of state.inbox) {
        if (
          message.visibleAt &&
          !state.timers.has(message.id) &&
          Date.parse(message.visibleAt) > this.clock.now()
        ) {
          this.armTimer(state, message);
        }
      }
      return;
    }
    const consumed = new Set(messages.map((m) => m.id));
    state.inbox = state.inbox.filter((m) => !consumed.has(m.id));
    const nowIso = new Date(this.clock.now()).toISOString();
    const change: {
      putInstances: InstanceRecord[];
      appendHistory: { instanceId: string; reset?: boolean; events: HistoryEvent[] }[];
      addInbox: InboxMessage[];
      removeInbox: string[];
      addWork: WorkItem[];
    } = { putInstances: [], appendHistory: [], addInbox: [], removeInbox: [...consumed], addWork: [] };
    const outbound: InboxMessage[] = [];
    const work: WorkItem[] = [];

    try {
      const startIndex = messages.findIndex((m) => m.event.EventType === EventType.ExecutionStarted);
      let events = messages.map((m) => m.event);
      if (startIndex >= 0 && (state.history.length > 0 || terminalStatuses.has(state.record.runtimeStatus))) {
        // A new execution (start over a finished instance, or after continueAsNew).
        const start = messages[startIndex]!;
        state.history = [];
        state.record = this.newInstanceState(start).record;
        change.appendHistory.push({ instanceId: state.record.instanceId, reset: true, events: [] });
        events = events.slice(startIndex);
      }
      if (state.history.length === 0 && !events.some((e) => e.EventType === EventType.ExecutionStarted)) {
        return;
      }
      if (terminalStatuses.has(state.record.runtimeStatus)) {
        this.options.logger.warn(
          `Durable: instance '${state.record.instanceId}' has already finished; ${events.length} message(s) discarded.`,
        );
        return;
      }

      const terminated = events.find((e) => e.EventType === EventType.ExecutionTerminated);
      const newEvents = events.filter((e) => e.EventType !== EventType.ExecutionTerminated);
      const started = historyEvent(EventType.OrchestratorStarted, new Date(this.clock.now()));
      if (terminated) {
        const appended = [started, ...newEvents, terminated];
        const completed = historyEvent(EventType.ExecutionCompleted, new Date(this.clock.now()), {
          OrchestrationStatus: 'Terminated',
          Result: terminated.Input,
        });
        appended.push(completed);
        this.finish(state, 'Terminated', terminated.Input, undefined, outbound);
        state.history.push(...appended);
        change.appendHistory.push({ instanceId: state.record.instanceId, events: appended });
        return;
      }

      for (const event of newEvents) {
        if (event.EventType === EventType.ExecutionSuspended) state.record.runtimeStatus = 'Suspended';
        if (event.EventType === EventType.ExecutionResumed) state.record.runtimeStatus = 'Running';
      }
      const episodeEvents = [started, ...newEvents];
      const fullHistory = [...state.history, ...episodeEvents];
      if (
        state.record.runtimeStatus === 'Suspended' ||
        newEvents.every((e) => e.EventType === EventType.ExecutionResumed)
      ) {
        // Suspend and resume change the status only; the orchestrator runs when real work arrives.
        state.history.push(...episodeEvents);
        change.appendHistory.push({ instanceId: state.record.instanceId, events: episodeEvents });
        return;
      }
      if (state.record.runtimeStatus === 'Pending') state.record.runtimeStatus = 'Running';

      const orchestrator = this.functions.orchestrators.get(state.record.name.toLowerCase());
      let appended: HistoryEvent[] = [...episodeEvents];
      if (!orchestrator) {
        const message = `The function '${state.record.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
        appended.push(this.executionCompleted('Failed', JSON.stringify(message)));
        this.finish(
          state,
          'Failed',
          JSON.stringify(message),
          { ErrorType: 'FunctionNotFound', ErrorMessage: message },
          outbound,
        );
      } else {
        appended = await this.runOrchestrator(
          state,
          orchestrator,
          fullHistory,
          episodeEvents,
          outbound,
          work,
        );
      }
      state.history.push(...appended);
      change.appendHistory.push({ instanceId: state.record.instanceId, events: appended });
    } finally {
      state.record.lastUpdatedTime = nowIso;
      change.putInstances.push({ ...state.record });
      change.addInbox.push(...outbound);
      change.addWork.push(...work);
      await this.commit(change).catch(() => undefined);
      for (const message of outbound) this.deliver(message);
      for (const item of work) this.dispatchWork(item);
    }
  }

  private executionCompleted(
    status: RuntimeStatus,
    result: string | undefined,
    failure?: FailureDetails,
  ): HistoryEvent {
    return historyEvent(EventType.ExecutionCompleted, new Date(this.clock.now()), {
      OrchestrationStatus: status,
      Result: result,
      ...(failure ? { FailureDetails: failure } : {}),
    });
  }

  private async runOrchestrator(
    state: InstanceState,
    orchestrator: DurableFunction,
    fullHistory: HistoryEvent[],
    episodeEvents: HistoryEvent[],
    outbound: InboxMessage[],
    work: WorkItem[],
  ): Promise<HistoryEvent[]> {
    const record = state.record;
    const pastCount = state.history.length;
    const payload = {
      history: fullHistory.map((event, index) => ({ ...event, IsPlayed: index < pastCount })),
      input: parseJson(record.input),
      instanceId: record.instanceId,
      isReplaying: pastCount > 0,
      parentInstanceId: record.parent?.instanceId ?? '',
      upperSchemaVersion: 3,
      upperSchemaVersionNew: 3,
      longRunningTimerIntervalDuration: formatTimeSpan(this.#longTimerIntervalMs),
      maximumShortTimerDuration: formatTimeSpan(this.#maxShortTimerMs),
      defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    };
    let orchestratorState: OrchestratorState | undefined;
    let failureMessage: string | undefined;
    try {
      const response = await this.options.invoker.invoke(orchestrator.fn, {
        inputData: [{ name: orchestrator.triggerName, data: { json: JSON.stringify(payload) } }],
        reason: `(Orchestrator) instance ${record.instanceId}`,
      });
      orchestratorState = parseJson(typedDataToJsonText(response.returnValue)) as
        OrchestratorState | undefined;
    } catch (error) {
      const parsed = stateFromFailure(error);
      orchestratorState = parsed.state;
      failureMessage = parsed.state?.error ?? parsed.message;
    }

    const appended = [...episodeEvents];
    if (orchestratorState?.customStatus !== undefined)
      record.customStatus = JSON.stringify(orchestratorState.customStatus);
    const replay = replayActions({
      instanceId: record.instanceId,
      executionId: record.executionId,
      actions: orchestratorState?.actions?.[0] ?? [],
      history: fullHistory,
      maximumShortTimerMs: this.#maxShortTimerMs,
      longRunningTimerIntervalMs: this.#longTimerIntervalMs,
    });
    if (replay.nonDeterminism !== undefined) {
      const failure = {
        ErrorType: 'NonDeterministicOrchestrationException',
        ErrorMessage: replay.nonDeterminism,
      };
      appended.push(this.executionCompleted('Failed', JSON.stringify(replay.nonDeterminism), failure));
      this.finish(state, 'Failed', JSON.stringify(replay.nonDeterminism), failure, outbound);
      return appended;
    }
    state.waitingForEvents = replay.waitingForEvents;

    for (const decision of replay.newDecisions)
      appended.push(this.applyDecision(state, decision, outbound, work));

    if (failureMessage !== undefined || orchestratorState === undefined) {
      const message = `Orchestrator function '${record.name}' failed: ${failureMessage ?? 'it returned no state'}`;
      const failure = { ErrorType: 'OrchestrationFailureException', ErrorMessage: message };
      appended.push(this.executionCompleted('Failed', JSON.stringify(message), failure));
      this.finish(state, 'Failed', JSON.stringify(message), failure, outbound);
      return appended;
    }
    if (orchestratorState.isDone && replay.continueAsNew) {
      const input = replay.continueAsNew.input;
      appended.push(
        historyEvent(EventType.ContinueAsNew, new Date(this.clock.now()), { Input: input }),
        this.executionCompleted('ContinuedAsNew', input),
      );
      record.runtimeStatus = 'ContinuedAsNew';
      const executionId = randomUUID().replace(/-/g, '');
      outbound.push(
        this.message(
          record.instanceId,
          historyEvent(EventType.ExecutionStarted, new Date(this.clock.now()), {
            Name: record.name,
            Input: input,
            OrchestrationInstance: { InstanceId: record.instanceId, ExecutionId: executionId },
            ...(record.parent
              ? {
                  ParentInstance: {
                    Name: record.parent.name,
                    OrchestrationInstance: {
                      InstanceId: record.parent.instanceId,
                      ExecutionId: record.parent.executionId,
                    },
                    TaskScheduleId: record.parent.taskScheduledId,
                  },
                }
              : {}),
          }),
        ),
      );
      return appended;
    }
    if (orchestratorState.isDone) {
      const output =
        orchestratorState.output === undefined ? undefined : JSON.stringify(orchestratorState.output);
      appended.push(this.executionCompleted('Completed', output));
      this.finish(state, 'Completed', output, undefined, outbound);
      return appended;
    }
    return appended;
  }

  /** Records a new decision in history and turns it into work, timers or messages. */
  private applyDecision(
    state: InstanceState,
    decision: Decision,
    outbound: InboxMessage[],
    work: WorkItem[],
  ): HistoryEvent {
    const now = new Date(this.clock.now());
    const record = state.record;
    switch (decision.kind) {
      case 'activity':
      case 'http': {
        const name = decision.kind === 'http' ? httpActivityName : decision.name;
        const input = decision.kind === 'http' ? JSON.stringify(decision.request) : decision.input;
        if (decision.kind === 'activity' && decision.failImmediately) {
          outbound.push(
            this.message(record.instanceId, this.taskFailedEvent(decision.id, decision.failImmediately)),
          );
        } else {
          work.push({
            kind: 'activity',
            id: randomUUID(),
            instanceId: record.instanceId,
            executionId: record.executionId,
            taskScheduledId: decision.id,
            name,
            input,
          });
        }
        return historyEvent(EventType.TaskScheduled, now, { EventId: decision.id, Name: name, Input: input });
      }
      case 'timer':
        outbound.push(
          this.message(
            record.instanceId,
            historyEvent(EventType.TimerFired, new Date(decision.fireAt), {
              TimerId: decision.id,
              FireAt: decision.fireAt,
            }),
            decision.fireAt,
          ),
        );
        return historyEvent(EventType.TimerCreated, now, { EventId: decision.id, FireAt: decision.fireAt });
      case 'subOrchestration': {
        if (decision.failImmediately) {
          outbound.push(
            this.message(
              record.instanceId,
              historyEvent(EventType.SubOrchestrationInstanceFailed, now, {
                TaskScheduledId: decision.id,
                Reason: decision.failImmediately.reason,
                Details: decision.failImmediately.details,
                FailureDetails: decision.failImmediately.failureDetails,
              }),
            ),
          );
        } else {
          const existing = this.#instances.get(decision.instanceId);
          if (existing && !terminalStatuses.has(existing.record.runtimeStatus)) {
            const message = `An orchestration with instance id '${decision.instanceId}' is already running.`;
            outbound.push(
              this.message(
                record.instanceId,
                historyEvent(EventType.SubOrchestrationInstanceFailed, now, {
                  TaskScheduledId: decision.id,
                  Reason: message,
                  FailureDetails: { ErrorType: 'OrchestrationAlreadyExistsException', ErrorMessage: message },
                }),
              ),
            );
          } else {
            outbound.push(
              this.message(
                decision.instanceId,
                historyEvent(EventType.ExecutionStarted, now, {
                  Name: decision.name,
                  Input: decision.input,
                  OrchestrationInstance: {
                    InstanceId: decision.instanceId,
                    ExecutionId: randomUUID().replace(/-/g, ''),
                  },
                  ParentInstance: {
                    Name: record.name,
                    OrchestrationInstance: { InstanceId: record.instanceId, ExecutionId: record.executionId },
                    TaskScheduleId: decision.id,
                  },
                }),
              ),
            );
          }
        }
        return historyEvent(EventType.SubOrchestrationInstanceCreated, now, {
          EventId: decision.id,
          Name: decision.name,
          InstanceId: decision.instanceId,
          Input: decision.input,
        });
      }
      case 'entityCall':
      case 'entitySignal': {
        const request = {
          id: decision.requestId,
          op: decision.operation,
          signal: decision.kind === 'entitySignal',
          input: decision.input,
          parent: decision.kind === 'entityCall' ? record.instanceId : undefined,
          parentExecution: decision.kind === 'entityCall' ? record.executionId : undefined,
          timestamp: now.toISOString(),
        };
        const message = JSON.stringify(request);
        work.push({
          kind: 'entity',
          id: randomUUID(),
          entityId: decision.entityId,
          message,
          ...(decision.kind === 'entitySignal' && decision.fireAt ? { visibleAt: decision.fireAt } : {}),
        });
        return historyEvent(EventType.EventSent, now, {
          EventId: decision.id,
          InstanceId: decision.entityId,
          Name: decision.operation,
          Input: message,
        });
      }
    }
  }

  private taskFailedEvent(taskScheduledId: number, failure: ActivityFailure): HistoryEvent {
    return historyEvent(EventType.TaskFailed, new Date(this.clock.now()), {
      TaskScheduledId: taskScheduledId,
      Reason: failure.reason,
      Details: failure.details,
      FailureDetails: failure.failureDetails,
    });
  }

  /** Marks the instance finished and tells its parent, if it has one. */
  private finish(
    state: InstanceState,
    status: RuntimeStatus,
    output: string | undefined,
    failure: FailureDetails | undefined,
    outbound: InboxMessage[],
  ): void {
    const record = state.record;
    record.runtimeStatus = status;
    record.output = output;
    record.failureDetails = failure;
    state.waitingForEvents = false;
    for (const timer of state.timers.values()) timer.cancel();
    state.timers.clear();
    state.inbox = [];
    const parent = record.parent;
    if (!parent) return;
    const now = new Date(this.clock.now());
    const event =
      status === 'Completed'
        ? historyEvent(EventType.SubOrchestrationInstanceCompleted, now, {
            TaskScheduledId: parent.taskScheduledId,
            Result: output,
          })
        : historyEvent(EventType.SubOrchestrationInstanceFailed, now, {
            TaskScheduledId: parent.taskScheduledId,
            Reason: `Sub-orchestration '${record.name}' (instance ${record.instanceId}) ${status.toLowerCase()}: ${failure?.ErrorMessage ?? output ?? ''}`,
            Details: failure?.StackTrace,
            FailureDetails: failure ?? {
              ErrorType: status,
              ErrorMessage: output ?? status,
            },
          });
    outbound.push(this.message(parent.instanceId, event));
  }

  // ---------------------------------------------------------------- activities

  private async runActivity(work: Extract<WorkItem, { kind: 'activity' }>): Promise<void> {
    let event: HistoryEvent;
    try {
      const result = await this.executeActivity(work);
      event = historyEvent(EventType.TaskCompleted, new Date(this.clock.now()), {
        TaskScheduledId: work.taskScheduledId,
        Result: result,
      });
    } catch (error) {
      const failure = errorFailure(error);
      event = this.taskFailedEvent(work.taskScheduledId, {
        reason: `Activity function '${work.name}' failed: ${failure.ErrorMessage}`,
        details: failure.StackTrace,
        failureDetails: failure,
      });
    }
    const state = this.#instances.get(work.instanceId);
    if (
      !state ||
      state.record.executionId !== work.executionId ||
      terminalStatuses.has(state.record.runtimeStatus)
    ) {
      await this.commit({ removeWork: [work.id] }).catch(() => undefined);
      return;
    }
    const message = this.message(work.instanceId, event);
    await this.commit({ removeWork: [work.id], addInbox: [message] }).catch(() => undefined);
    this.deliver(message);
  }

  private async executeActivity(work: Extract<WorkItem, { kind: 'activity' }>): Promise<string> {
    if (work.name === httpActivityName) return this.executeHttp(work.input);
    const activity = this.functions.activities.get(work.name.toLowerCase());
    if (!activity) {
      throw new Error(
        `The function '${work.name}' doesn't exist, is disabled, or is not an activity function.`,
      );
    }
    const response = await this.options.invoker.invoke(activity.fn, {
      inputData: [{ name: activity.triggerName, data: work.input === undefined ? {} : { json: work.input } }],
      reason: `(Activity) instance ${work.instanceId}, task ${work.taskScheduledId}`,
    });
    return typedDataToJsonText(response.returnValue);
  }

  /** The extension's built-in HTTP activity behind context.df.callHttp. */
  private async executeHttp(input: string | undefined): Promise<string> {
    const request = (parseJson(input) ?? {}) as {
      method?: string;
      uri?: string;
      content?: string;
      headers?: Record<string, string>;
    };
    if (!request.uri) throw new Error('callHttp needs a uri');
    const response = await fetch(request.uri, {
      method: request.method ?? 'GET',
      headers: request.headers ?? {},
      ...(request.content !== undefined && request.method !== 'GET' ? { body: request.content } : {}),
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => (headers[key] = value));
    return JSON.stringify({ statusCode: response.status, headers, content: await response.text() });
  }

  // ---------------------------------------------------------------- entities

  private async runEntityBatch(queue: EntityQueue): Promise<void> {
    const batch = queue.pending.splice(0, queue.pending.length);
    const [, name = '', key = ''] = /^@([^@]*)@(.*)$/s.exec(queue.record.entityId) ?? [];
    const requests = batch.map(
      (item) =>
        JSON.parse(item.message) as {
          id: string;
          op: string;
          signal: boolean;
          input?: string;
          parent?: string;
        },
    );
    const entity = this.functions.entities.get(name.toLowerCase());
    const outbound: InboxMessage[] = [];
    const newWork: WorkItem[] = [];
    let record = queue.record;
    if (!entity) {
      for (const request of requests) {
        if (request.signal || !request.parent) continue;
        outbound.push(
          this.message(
            request.parent,
            historyEvent(EventType.EventRaised, new Date(this.clock.now()), {
              Name: request.id,
              Input: JSON.stringify({
                result: JSON.stringify(
                  `The function '${name}' doesn't exist, is disabled, or is not an entity function.`,
                ),
                exceptionType: 'EntityFunctionNotFound',
              }),
            }),
          ),
        );
      }
    } else {
      const payload = {
        self: { name, key },
        exists: record.exists,
        state: record.state,
        batch: requests.map((r) => ({ id: r.id, name: r.op, signal: r.signal, input: r.input })),
      };
      type EntityResult = {
        entityExists: boolean;
        entityState?: string;
        results: { isError: boolean; result?: string }[];
        signals: { target: { name: string; key: string }; name: string; input?: string }[];
      };
      let result: EntityResult | undefined;
      let failure: string | undefined;
      try {
        const response = await this.options.invoker.invoke(entity.fn, {
          inputData: [{ name: entity.triggerName, data: { json: JSON.stringify(payload) } }],
          reason: `(Entity) ${queue.record.entityId}, ${requests.length} operation(s)`,
        });
        result = parseJson(typedDataToJsonText(response.returnValue)) as EntityResult;
      } catch (error) {
        failure = errorFailure(error).ErrorMessage;
      }
      if (result) {
        record = {
          entityId: record.entityId,
          exists: result.entityExists,
          state: result.entityExists ? result.entityState : undefined,
          lastModifiedTime: new Date(this.clock.now()).toISOString(),
        };
        for (const signal of result.signals ?? []) {
          newWork.push({
            kind: 'entity',
            id: randomUUID(),
            entityId: `@${signal.target.name.toLowerCase()}@${signal.target.key}`,
            message: JSON.stringify({
              id: randomUUID(),
              op: signal.name,
              signal: true,
              input: signal.input || undefined,
            }),
          });
        }
      }
      requests.forEach((request, index) => {
        if (request.signal || !request.parent) return;
        const operationResult = result?.results[index];
        const response = operationResult
          ? operationResult.isError
            ? {
                result: operationResult.result ?? JSON.stringify('entity operation failed'),
                exceptionType: 'Error',
              }
            : { result: operationResult.result ?? '' }
          : { result: JSON.stringify(failure ?? 'entity function failed'), exceptionType: 'Error' };
        outbound.push(
          this.message(
            request.parent,
            historyEvent(EventType.EventRaised, new Date(this.clock.now()), {
              Name: request.id,
              Input: JSON.stringify(response),
            }),
          ),
        );
      });
    }
    queue.record = record;
    await this.commit({
      putEntities: [record],
      removeWork: batch.map((b) => b.id),
      addInbox: outbound,
      addWork: newWork,
    }).catch(() => undefined);
    for (const message of outbound) this.deliver(message);
    for (const item of newWork) this.dispatchWork(item);
  }

  // ---------------------------------------------------------------- management API

  hasOrchestrator(name: string): boolean {
    return this.functions.orchestrators.has(name.toLowerCase());
  }

  async startOrchestration(
    name: string,
    options: { instanceId?: string | undefined; input?: unknown },
  ): Promise<string> {
    const orchestrator = this.functions.orchestrators.get(name.toLowerCase());
    if (!orchestrator) {
      throw new DurableRuntimeError(
        404,
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      );
    }
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, '');
    const existing = this.#instances.get(instanceId);
    if (existing && !terminalStatuses.has(existing.record.runtimeStatus)) {
      throw new DurableRuntimeError(
        409,
        `An instance with ID '${instanceId}' already exists and is ${existing.record.runtimeStatus}.`,
      );
    }
    const now = new Date(this.clock.now());
    const start = this.message(
      instanceId,
      historyEvent(EventType.ExecutionStarted, now, {
        Name: orchestrator.name,
        Input: options.input === undefined ? undefined : JSON.stringify(options.input),
        OrchestrationInstance: { InstanceId: instanceId, ExecutionId: randomUUID().replace(/-/g, '') },
      }),
    );
    const fresh = this.newInstanceState(start);
    if (existing) {
      existing.record = fresh.record;
      existing.history = [];
      existing.inbox = [];
    } else {
      this.#instances.set(instanceId, fresh);
    }
    await this.commit({
      putInstances: [{ ...fresh.record }],
      ...(existing ? { appendHistory: [{ instanceId, reset: true, events: [] }] } : {}),
      addInbox: [start],
    });
    this.deliver(start);
    return instanceId;
  }

  getStatus(instanceId: string, options: StatusOptions = {}): InstanceStatusView | undefined {
    const state = this.#instances.get(instanceId);
    if (!state) return undefined;
    return this.view(state, options);
  }

  private view(state: InstanceState, options: StatusOptions): InstanceStatusView {
    const record = state.record;
    const status: RuntimeStatus =
      record.runtimeStatus === 'ContinuedAsNew' ? 'Running' : record.runtimeStatus;
    return {
      name: record.name,
      instanceId: record.instanceId,
      runtimeStatus: status,
      input: options.showInput === false ? null : (parseJson(record.input) ?? null),
      customStatus: parseJson(record.customStatus) ?? null,
      output: parseJson(record.output) ?? null,
      createdTime: record.createdTime,
      lastUpdatedTime: record.lastUpdatedTime,
      ...(options.showHistory
        ? { historyEvents: this.historyView(state, options.showHistoryOutput === true) }
        : {}),
    };
  }

  private historyView(state: InstanceState, showOutput: boolean): Record<string, unknown>[] {
    const scheduled = new Map<number, HistoryEvent>();
    const view: Record<string, unknown>[] = [];
    for (const event of state.history) {
      const type = eventTypeNames[event.EventType] ?? String(event.EventType);
      switch (event.EventType) {
        case EventType.TaskScheduled:
        case EventType.SubOrchestrationInstanceCreated:
          scheduled.set(event.EventId, event);
          break;
        case EventType.OrchestratorStarted:
        case EventType.OrchestratorCompleted:
          break;
        default: {
          const source = scheduled.get(event.TaskScheduledId ?? -1);
          view.push({
            EventType: type,
            Timestamp: event.Timestamp,
            ...(event.EventType === EventType.ExecutionStarted ? { FunctionName: event.Name } : {}),
            ...(source ? { FunctionName: source.Name, ScheduledTime: source.Timestamp } : {}),
            ...(event.Name && event.EventType === EventType.EventRaised ? { Name: event.Name } : {}),
            ...(event.FireAt ? { FireAt: event.FireAt } : {}),
            ...(event.OrchestrationStatus ? { OrchestrationStatus: event.OrchestrationStatus } : {}),
            ...(showOutput && event.Result !== undefined ? { Result: parseJson(event.Result) } : {}),
            ...(showOutput && event.Input !== undefined && event.EventType !== EventType.EventSent
              ? { Input: parseJson(event.Input) }
              : {}),
            ...(event.Reason ? { Reason: event.Reason } : {}),
            ...(event.FailureDetails ? { FailureDetails: event.FailureDetails } : {}),
          });
        }
      }
    }
    return view;
  }

  private matching(query: InstanceQuery): InstanceState[] {
    const from = query.createdTimeFrom?.getTime();
    const to = query.createdTimeTo?.getTime();
    const statuses =
      query.runtimeStatus && query.runtimeStatus.length > 0 ? new Set(query.runtimeStatus) : undefined;
    return [...this.#instances.values()]
      .filter((state) => state.record.name !== '')
      .filter((state) => {
        const record = state.record;
        const created = Date.parse(record.createdTime);
        const status = record.runtimeStatus === 'ContinuedAsNew' ? 'Running' : record.runtimeStatus;
        return (
          (statuses === undefined || statuses.has(status)) &&
          (from === undefined || created >= from) &&
          (to === undefined || created <= to) &&
          (query.instanceIdPrefix === undefined || record.instanceId.startsWith(query.instanceIdPrefix))
        );
      })
      .sort(
        (a, b) =>
          a.record.createdTime.localeCompare(b.record.createdTime) ||
          a.record.instanceId.localeCompare(b.record.instanceId),
      );
  }

  queryInstances(
    query: InstanceQuery,
    options: StatusOptions = {},
  ): { instances: InstanceStatusView[]; continuationToken?: string | undefined } {
    const all = this.matching(query);
    const offset = query.continuationToken
      ? Number(Buffer.from(query.continuationToken, 'base64url').toString('utf8')) || 0
      : 0;
    const size = query.pageSize && query.pageSize > 0 ? query.pageSize : all.length;
    const page = all.slice(offset, offset + size);
    const next =
      offset + size < all.length
        ? Buffer.from(String(offset + size), 'utf8').toString('base64url')
        : undefined;
    return {
      instances: page.map((state) => this.view(state, options)),
      ...(next ? { continuationToken: next } : {}),
    };
  }

  private async post(instanceId: string, event: HistoryEvent): Promise<ManagementResult> {
    const state = this.#instances.get(instanceId);
    if (!state) return 'notFound';
    if (terminalStatuses.has(state.record.runtimeStatus)) return 'gone';
    const message = this.message(instanceId, event);
    await this.commit({ addInbox: [message] });
    this.deliver(message);
    return 'accepted';
  }

  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<ManagementResult> {
    return this.post(
      instanceId,
      historyEvent(EventType.EventRaised, new Date(this.clock.now()), {
        Name: eventName,
        Input: data === undefined ? undefined : JSON.stringify(data),
      }),
    );
  }

  terminate(instanceId: string, reason: string): Promise<ManagementResult> {
    return this.post(
      instanceId,
      historyEvent(EventType.ExecutionTerminated, new Date(this.clock.now()), {
        Input: JSON.stringify(reason),
      }),
    );
  }

  async suspend(instanceId: string, reason: string): Promise<ManagementResult> {
    const state = this.#instances.get(instanceId);
    if (state?.record.runtimeStatus === 'Suspended') return 'accepted';
    return this.post(
      instanceId,
      historyEvent(EventType.ExecutionSuspended, new Date(this.clock.now()), { Reason: reason }),
    );
  }

  resume(instanceId: string, reason: string): Promise<ManagementResult> {
    return this.post(
      instanceId,
      historyEvent(EventType.ExecutionResumed, new Date(this.clock.now()), { Reason: reason }),
    );
  }

  async restart(instanceId: string, restartWithNewInstanceId: boolean): Promise<string | undefined> {
    const state = this.#instances.get(instanceId);
    if (!state) return undefined;
    return this.startOrchestration(state.record.name, {
      instanceId: restartWithNewInstanceId ? undefined : instanceId,
      input: parseJson(state.record.input),
    });
  }

  async purge(instanceId: string): Promise<number> {
    const state = this.#instances.get(instanceId);
    if (!state || !terminalStatuses.has(state.record.runtimeStatus)) return 0;
    this.#instances.delete(instanceId);
    await this.commit({ purge: [instanceId] });
    return 1;
  }

  async purgeWhere(query: InstanceQuery): Promise<number> {
    const targets = this.matching(query).filter((s) => terminalStatuses.has(s.record.runtimeStatus));
    for (const state of targets) this.#instances.delete(state.record.instanceId);
    if (targets.length > 0) await this.commit({ purge: targets.map((s) => s.record.instanceId) });
    return targets.length;
  }

  getEntityState(name: string, key: string): { exists: boolean; state: unknown } | undefined {
    const queue = this.#entities.get(`@${name.toLowerCase()}@${key}`);
    if (!queue || !queue.record.exists) return undefined;
    return { exists: true, state: parseJson(queue.record.state) };
  }

  async signalEntity(name: string, key: string, operation: string, input: unknown): Promise<void> {
    const item: WorkItem = {
      kind: 'entity',
      id: randomUUID(),
      entityId: `@${name.toLowerCase()}@${key}`,
      message: JSON.stringify({
        id: randomUUID(),
        op: operation,
        signal: true,
        input: input === undefined ? undefined : JSON.stringify(input),
      }),
    };
    await this.commit({ addWork: [item] });
    this.dispatchWork(item);
  }

  /** Full history of an instance (for tests and the testing API). */
  history(instanceId: string): readonly HistoryEvent[] {
    return this.#instances.get(instanceId)?.history ?? [];
  }

  instanceIds(): string[] {
    return [...this.#instances.keys()];
  }
}

/** `[d.]hh:mm:ss` as the extension passes timer settings to the library. */
export function formatTimeSpan(ms: number): string {
  const totalSeconds = Math.floor(ms / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${days}.${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
}
