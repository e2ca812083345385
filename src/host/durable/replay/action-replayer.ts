import { createHash } from 'node:crypto';
import type { FailureDetails, HistoryEvent } from '../history';
import { EventType, describeEvent } from '../history';
import type { OrchestratorAction, RetryOptionsWire } from './actions';
import { ActionType, actionLabel } from './actions';

/**
 * The Durable extension's half of an out-of-process episode, rebuilt: it replays
 * the orchestrator's action list the way the extension's OutOfProcOrchestrationShim
 * does through the Durable Task Framework (each action awaited in turn, failures
 * ignored, retries and long timers expanded by the framework), assigning sequence
 * ids exactly as DTFx would. Matching those ids against the recorded history finds
 * the decisions that are new in this episode and detects non-determinism.
 * Pure: no clock, no I/O.
 */

export interface ActivityFailure {
  readonly reason: string;
  readonly details: string | undefined;
  readonly failureDetails: FailureDetails | undefined;
}

export type Decision =
  | {
      readonly kind: 'activity';
      readonly id: number;
      readonly name: string;
      readonly input: string | undefined;
      /** Set for retry attempts after the retry timeout: fail at once with the last failure. */
      readonly failImmediately?: ActivityFailure;
    }
  | { readonly kind: 'timer'; readonly id: number; readonly fireAt: string }
  | {
      readonly kind: 'subOrchestration';
      readonly id: number;
      readonly name: string;
      readonly instanceId: string;
      readonly input: string | undefined;
      readonly failImmediately?: ActivityFailure;
    }
  | {
      readonly kind: 'entityCall' | 'entitySignal';
      readonly id: number;
      readonly entityId: string;
      readonly operation: string;
      readonly input: string | undefined;
      readonly requestId: string;
      readonly fireAt?: string;
    }
  | { readonly kind: 'http'; readonly id: number; readonly request: unknown };

export interface ReplayOptions {
  readonly instanceId: string;
  readonly executionId: string;
  readonly actions: readonly OrchestratorAction[];
  readonly history: readonly HistoryEvent[];
  /** Timers longer than this are split (Azure Storage: 6 days). */
  readonly maximumShortTimerMs: number;
  /** Interval of each split (Azure Storage: 3 days). */
  readonly longRunningTimerIntervalMs: number;
}

export interface ReplayResult {
  /** Decisions made in this episode, not yet in history, in sequence-id order. */
  readonly newDecisions: readonly Decision[];
  readonly nonDeterminism: string | undefined;
  /** Input JSON of a ContinueAsNew action, when the orchestrator asked for one. */
  readonly continueAsNew: { readonly input: string | undefined } | undefined;
  /** True when the replay ends waiting on an external event (or an entity answer). */
  readonly waitingForEvents: boolean;
}

class NonDeterminismError extends Error {}

/** A framework task: pending until history completes it. */
class ShimTask {
  done = false;
  failed = false;
  failure: ActivityFailure | undefined;
  #waiters: (() => void)[] = [];

  complete(failure?: ActivityFailure): void {
    if (this.done) return;
    this.done = true;
    this.failed = failure !== undefined;
    this.failure = failure;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }

  then(waiter: () => void): void {
    if (this.done) waiter();
    else this.#waiters.push(waiter);
  }
}

/** JSON text of an action input, undoing the library's string pre-encoding where it applies. */
export function actionInputText(input: unknown, preEncoded: boolean): string | undefined {
  if (input === undefined) return undefined;
  if (preEncoded && typeof input === 'string') return input;
  return JSON.stringify(input);
}

/** A GUID derived from a name, so ids the framework would generate stay deterministic. */
export function deterministicGuid(name: string): string {
  const hex = createHash('sha1').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** DTFx RetryInterceptor.ComputeNextDelay, in milliseconds (0 means: stop retrying). */
export function computeRetryDelayMs(
  options: RetryOptionsWire,
  attempt: number,
  firstAttemptMs: number,
  nowMs: number,
): number {
  const timeout = options.retryTimeoutInMilliseconds;
  const expiration =
    timeout !== undefined && timeout > 0 ? firstAttemptMs + timeout : Number.POSITIVE_INFINITY;
  if (!(nowMs < expiration)) return 0;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(options.backoffCoefficient ?? 1, attempt);
  const max = options.maxRetryIntervalInMilliseconds;
  return max !== undefined && max > 0 && delay >= max ? max : delay;
}

function failureFromEvent(event: HistoryEvent): ActivityFailure {
  return { reason: event.Reason ?? '', details: event.Details, failureDetails: event.FailureDetails };
}

function scheduledKindOf(event: HistoryEvent): Decision['kind'] | undefined {
  switch (event.EventType) {
    case EventType.TaskScheduled:
      return event.Name === httpActivityName ? 'http' : 'activity';
    case EventType.TimerCreated:
      return 'timer';
    case EventType.SubOrchestrationInstanceCreated:
      return 'subOrchestration';
    case EventType.EventSent:
      return 'entityCall';
    default:
      return undefined;
  }
}

export const httpActivityName = 'BuiltIn::HttpActivity';

function decisionLabel(decision: Decision): string {
  switch (decision.kind) {
    case 'activity':
      return `activity '${decision.name}'`;
    case 'subOrchestration':
      return `sub-orchestration '${decision.name}'`;
    case 'timer':
      return `timer (fires at ${decision.fireAt})`;
    case 'http':
      return 'HTTP call';
    default:
      return `entity operation '${decision.operation}' on ${decision.entityId}`;
  }
}

function eventLabel(event: HistoryEvent): string {
  switch (event.EventType) {
    case EventType.TaskScheduled:
      return event.Name === httpActivityName ? 'HTTP call' : `activity '${event.Name ?? ''}'`;
    case EventType.TimerCreated:
      return `timer (fires at ${event.FireAt ?? '?'})`;
    case EventType.SubOrchestrationInstanceCreated:
      return `sub-orchestration '${event.Name ?? ''}'`;
    case EventType.EventSent:
      return `entity operation '${event.Name ?? ''}' on ${event.InstanceId ?? '?'}`;
    default:
      return describeEvent(event);
  }
}

function nameOf(decision: Decision): string | undefined {
  switch (decision.kind) {
    case 'activity':
    case 'subOrchestration':
      return decision.name;
    case 'entityCall':
    case 'entitySignal':
      return decision.operation;
    case 'http':
      return httpActivityName;
    default:
      return undefined;
  }
}

class Replayer {
  #nextId = 0;
  #now = 0;
  readonly decisions = new Map<number, Decision>();
  readonly recorded = new Set<number>();
  readonly openTasks = new Map<number, ShimTask>();
  readonly entityWaiters = new Map<string, ShimTask>();
  readonly eventWaiters = new Map<string, ShimTask[]>();
  readonly bufferedEvents = new Map<string, number>();
  continueAsNew: { input: string | undefined } | undefined;
  #cursor = 0;
  #current: ShimTask | undefined;
  #started = false;

  constructor(private readonly options: ReplayOptions) {}

  run(): ReplayResult {
    try {
      for (const event of this.options.history) this.process(event);
    } catch (error) {
      if (error instanceof NonDeterminismError) {
        return {
          newDecisions: [],
          nonDeterminism: error.message,
          continueAsNew: undefined,
          waitingForEvents: false,
        };
      }
      throw error;
    }
    const newDecisions = [...this.decisions.values()]
      .filter((decision) => !this.recorded.has(decision.id))
      .sort((a, b) => a.id - b.id);
    const waitingForEvents = this.eventWaiters.size > 0 || this.entityWaiters.size > 0;
    return { newDecisions, nonDeterminism: undefined, continueAsNew: this.continueAsNew, waitingForEvents };
  }

  private process(event: HistoryEvent): void {
    switch (event.EventType) {
      case EventType.OrchestratorStarted:
        this.#now = Math.max(this.#now, Date.parse(event.Timestamp));
        break;
      case EventType.ExecutionStarted:
        this.#now = Math.max(this.#now, Date.parse(event.Timestamp));
        if (!this.#started) {
          this.#started = true;
          this.advance();
        }
        break;
      case EventType.TaskScheduled:
      case EventType.TimerCreated:
      case EventType.SubOrchestrationInstanceCreated:
      case EventType.EventSent:
        this.matchScheduled(event);
        break;
      case EventType.TaskCompleted:
      case EventType.SubOrchestrationInstanceCompleted:
        this.openTasks.get(event.TaskScheduledId ?? -1)?.complete();
        this.openTasks.delete(event.TaskScheduledId ?? -1);
        break;
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceFailed:
        this.openTasks.get(event.TaskScheduledId ?? -1)?.complete(failureFromEvent(event));
        this.openTasks.delete(event.TaskScheduledId ?? -1);
        break;
      case EventType.TimerFired:
        this.openTasks.get(event.TimerId ?? -1)?.complete();
        this.openTasks.delete(event.TimerId ?? -1);
        break;
      case EventType.EventRaised:
        this.raise(event.Name ?? '');
        break;
      default:
        break;
    }
  }

  private matchScheduled(event: HistoryEvent): void {
    const id = event.EventId;
    const decision = this.decisions.get(id);
    const kind = scheduledKindOf(event);
    const decisionKind = decision?.kind === 'entitySignal' ? 'entityCall' : decision?.kind;
    if (decision === undefined) {
      throw new NonDeterminismError(
        `Non-deterministic workflow detected: a previous execution of this orchestration scheduled ${eventLabel(event)} ` +
          `with sequence id ${id}, but the current replay execution hasn't (yet?) scheduled it. ` +
          'Was a change made to the orchestrator code after this instance had already started running?',
      );
    }
    if (decisionKind !== kind || (nameOf(decision) !== undefined && nameOf(decision) !== event.Name)) {
      throw new NonDeterminismError(
        `Non-deterministic workflow detected: a previous execution of this orchestration scheduled ${eventLabel(event)} ` +
          `with sequence id ${id}, but the current replay execution scheduled ${decisionLabel(decision)} instead. ` +
          'Was a change made to the orchestrator code after this instance had already started running?',
      );
    }
    this.recorded.add(id);
  }

  private raise(name: string): void {
    const entityWaiter = this.entityWaiters.get(name);
    if (entityWaiter) {
      this.entityWaiters.delete(name);
      entityWaiter.complete();
      return;
    }
    const waiters = this.eventWaiters.get(name);
    const waiter = waiters?.shift();
    if (waiter) {
      if (waiters!.length === 0) this.eventWaiters.delete(name);
      waiter.complete();
      return;
    }
    this.bufferedEvents.set(name, (this.bufferedEvents.get(name) ?? 0) + 1);
  }

  /** Runs the action list in order, each awaited (failures ignored), as the extension's shim does. */
  private advance(): void {
    const actions = this.options.actions;
    while (this.#cursor < actions.length) {
      if (this.#current === undefined) this.#current = this.invoke(actions[this.#cursor]!);
      const current = this.#current;
      if (!current.done) {
        current.then(() => {
          if (this.#current === current) this.advance();
        });
        return;
      }
      this.#cursor += 1;
      this.#current = undefined;
    }
  }

  private schedule(make: (id: number) => Decision): ShimTask {
    const id = this.#nextId++;
    this.decisions.set(id, make(id));
    const task = new ShimTask();
    this.openTasks.set(id, task);
    return task;
  }

  private completed(): ShimTask {
    const task = new ShimTask();
    task.complete();
    return task;
  }

  private invoke(action: OrchestratorAction): ShimTask {
    switch (action.actionType) {
      case ActionType.CallActivity:
        return this.schedule((id) => ({
          kind: 'activity',
          id,
          name: action.functionName ?? '',
          input: actionInputText(action.input, true),
        }));
      case ActionType.CallActivityWithRetry:
        return this.withRetry(action, (failImmediately) =>
          this.schedule((id) => ({
            kind: 'activity',
            id,
            name: action.functionName ?? '',
            input: actionInputText(action.input, true),
            ...(failImmediately ? { failImmediately } : {}),
          })),
        );
      case ActionType.CallSubOrchestrator:
        return this.schedule((id) => this.subOrchestration(action, id));
      case ActionType.CallSubOrchestratorWithRetry:
        return this.withRetry(action, (failImmediately) =>
          this.schedule((id) => ({
            ...this.subOrchestration(action, id),
            ...(failImmediately ? { failImmediately } : {}),
          })),
        );
      case ActionType.CreateTimer:
        return this.timer(Date.parse(action.fireAt ?? ''), action.isCanceled === true);
      case ActionType.WaitForExternalEvent: {
        const name = action.externalEventName ?? '';
        const task = new ShimTask();
        const buffered = this.bufferedEvents.get(name) ?? 0;
        if (buffered > 0) {
          if (buffered === 1) this.bufferedEvents.delete(name);
          else this.bufferedEvents.set(name, buffered - 1);
          task.complete();
        } else {
          const waiters = this.eventWaiters.get(name) ?? [];
          waiters.push(task);
          this.eventWaiters.set(name, waiters);
        }
        return task;
      }
      case ActionType.CallEntity: {
        const requestId = deterministicGuid(`${this.options.executionId}:entity:${this.#nextId}`);
        const id = this.#nextId++;
        this.decisions.set(id, {
          kind: 'entityCall',
          id,
          entityId: action.instanceId ?? '',
          operation: action.operation ?? '',
          input: actionInputText(action.input, false),
          requestId,
        });
        const task = new ShimTask();
        this.entityWaiters.set(requestId, task);
        return task;
      }
      case ActionType.SignalEntity:
      case ActionType.ScheduledSignalEntity: {
        const id = this.#nextId++;
        this.decisions.set(id, {
          kind: 'entitySignal',
          id,
          entityId: action.instanceId ?? '',
          operation: action.operation ?? '',
          input: actionInputText(action.input, false),
          requestId: deterministicGuid(`${this.options.executionId}:entity:${id}`),
          ...(action.fireAt ? { fireAt: action.fireAt } : {}),
        });
        return this.completed();
      }
      case ActionType.CallHttp:
        return this.schedule((id) => ({ kind: 'http', id, request: action.httpRequest }));
      case ActionType.ContinueAsNew:
        this.continueAsNew = { input: actionInputText(action.input, true) };
        return this.completed();
      case ActionType.WhenAll:
      case ActionType.WhenAny: {
        const children = (action.compoundActions ?? []).map((child) => this.invoke(child));
        const task = new ShimTask();
        const all = action.actionType === ActionType.WhenAll;
        let remaining = children.length;
        if (remaining === 0) task.complete();
        for (const child of children) {
          child.then(() => {
            remaining -= 1;
            if (!all || remaining === 0) task.complete();
          });
        }
        return task;
      }
      default:
        throw new NonDeterminismError(
          `The orchestrator used ${actionLabel(action)}, which this local runtime does not support.`,
        );
    }
  }

  private subOrchestration(action: OrchestratorAction, id: number): Decision {
    return {
      kind: 'subOrchestration',
      id,
      name: action.functionName ?? '',
      instanceId:
        action.instanceId || deterministicGuid(`${this.options.executionId}:suborchestration:${id}`),
      input: actionInputText(action.input, false),
    };
  }

  /**
   * DurableOrchestrationContext.CreateTimer: timers beyond the maximum are chained in
   * intervals. After each interval fires, another is scheduled only while the final
   * time is still ahead of the orchestration's current time (an episode may run late).
   */
  private timer(fireAtMs: number, canceled: boolean): ShimTask {
    const { maximumShortTimerMs, longRunningTimerIntervalMs } = this.options;
    const result = new ShimTask();
    const next = () => {
      const remaining = fireAtMs - this.#now;
      const at = remaining > maximumShortTimerMs ? this.#now + longRunningTimerIntervalMs : fireAtMs;
      const task = this.schedule((id) => ({ kind: 'timer', id, fireAt: new Date(at).toISOString() }));
      if (canceled) {
        result.complete();
        return;
      }
      task.then(() => (fireAtMs > this.#now ? next() : result.complete()));
    };
    next();
    return result;
  }

  /** DTFx RetryInterceptor: attempt, on failure wait a computed delay on a timer, try again. */
  private withRetry(
    action: OrchestratorAction,
    attempt: (failImmediately?: ActivityFailure) => ShimTask,
  ): ShimTask {
    const options = action.retryOptions ?? { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 1 };
    const firstAttempt = this.#now;
    const result = new ShimTask();
    let expiredWith: ActivityFailure | undefined;
    const run = (retryCount: number) => {
      const task = attempt(expiredWith);
      task.then(() => {
        if (!task.failed) {
          result.complete();
          return;
        }
        const failure = task.failure!;
        const delay = computeRetryDelayMs(options, retryCount, firstAttempt, this.#now);
        // When the retry timeout has passed the framework stops retrying. The JS library
        // cannot know that and still waits for a timer and the remaining attempts, so
        // those are recorded and failed at once instead of leaving the instance stuck.
        if (delay === 0) expiredWith = failure;
        const timer = this.schedule((id) => ({
          kind: 'timer',
          id,
          fireAt: new Date(this.#now + delay).toISOString(),
        }));
        timer.then(() => {
          if (retryCount + 1 < options.maxNumberOfAttempts) run(retryCount + 1);
          else result.complete(failure);
        });
      });
    };
    run(0);
    return result;
  }
}

export function replayActions(options: ReplayOptions): ReplayResult {
  return new Replayer(options).run();
}
