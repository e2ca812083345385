import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../../../src/host/durable/history';
import { EventType, historyEvent } from '../../../../src/host/durable/history';
import type { OrchestratorAction } from '../../../../src/host/durable/replay/actions';
import { ActionType } from '../../../../src/host/durable/replay/actions';
import { computeRetryDelayMs, replayActions } from '../../../../src/host/durable/replay/action-replayer';

/** Synthetic histories in the shape the extension records, replayed against action lists. */

const t0 = Date.UTC(2026, 0, 1);
const at = (ms: number) => new Date(t0 + ms);
const day = 86_400_000;

function started(ms = 0): HistoryEvent[] {
  return [
    historyEvent(EventType.OrchestratorStarted, at(ms)),
    historyEvent(EventType.ExecutionStarted, at(ms), { Name: 'o' }),
  ];
}
const activity = (name: string, input?: unknown): OrchestratorAction => ({
  actionType: ActionType.CallActivity,
  functionName: name,
  input,
});
const replay = (actions: OrchestratorAction[], history: HistoryEvent[]) =>
  replayActions({
    instanceId: 'i',
    executionId: 'e',
    actions,
    history,
    maximumShortTimerMs: 6 * day,
    longRunningTimerIntervalMs: 3 * day,
  });

describe('replayActions', () => {
  it('schedules the first activity on the first episode', () => {
    const result = replay([activity('a', '"x"')], started());
    expect(result.newDecisions).toEqual([{ kind: 'activity', id: 0, name: 'a', input: '"x"' }]);
    expect(result.nonDeterminism).toBeUndefined();
  });

  it('schedules only what history does not hold yet', () => {
    const history = [
      ...started(),
      historyEvent(EventType.TaskScheduled, at(0), { EventId: 0, Name: 'a' }),
      historyEvent(EventType.OrchestratorStarted, at(10)),
      historyEvent(EventType.TaskCompleted, at(10), { TaskScheduledId: 0, Result: '1' }),
    ];
    const result = replay([activity('a'), activity('b')], history);
    expect(result.newDecisions.map((d) => [d.kind, d.id])).toEqual([['activity', 1]]);
  });

  it('waits for a pending task before scheduling the next action', () => {
    const history = [...started(), historyEvent(EventType.TaskScheduled, at(0), { EventId: 0, Name: 'a' })];
    expect(replay([activity('a'), activity('b')], history).newDecisions).toEqual([]);
  });

  it('reports a different activity at a recorded sequence id as non-deterministic', () => {
    const history = [...started(), historyEvent(EventType.TaskScheduled, at(0), { EventId: 0, Name: 'a' })];
    const result = replay([activity('b')], history);
    expect(result.nonDeterminism).toContain("scheduled activity 'a' with sequence id 0");
    expect(result.nonDeterminism).toContain("scheduled activity 'b' instead");
  });

  it('reports a recorded task the replay no longer schedules', () => {
    const history = [
      ...started(),
      historyEvent(EventType.TimerCreated, at(0), { EventId: 0, FireAt: at(1000).toISOString() }),
    ];
    const result = replay([{ actionType: ActionType.WaitForExternalEvent, externalEventName: 'x' }], history);
    expect(result.nonDeterminism).toMatch(/scheduled timer .* hasn't \(yet\?\) scheduled it/);
  });

  it('gives every child of Task.all its own id, in order', () => {
    const result = replay(
      [
        {
          actionType: ActionType.WhenAll,
          compoundActions: [
            activity('a'),
            activity('b'),
            { actionType: ActionType.WaitForExternalEvent, externalEventName: 'e' },
            activity('c'),
          ],
        },
      ],
      started(),
    );
    expect(result.newDecisions.map((d) => d.id)).toEqual([0, 1, 2]);
    expect(result.waitingForEvents).toBe(true);
  });

  it('splits timers longer than the maximum into intervals', () => {
    const fireAt = at(7 * day).toISOString();
    const first = replay([{ actionType: ActionType.CreateTimer, fireAt }], started());
    expect(first.newDecisions).toEqual([{ kind: 'timer', id: 0, fireAt: at(3 * day).toISOString() }]);
    const history = [
      ...started(),
      historyEvent(EventType.TimerCreated, at(0), { EventId: 0, FireAt: at(3 * day).toISOString() }),
      historyEvent(EventType.OrchestratorStarted, at(3 * day)),
      historyEvent(EventType.TimerFired, at(3 * day), { TimerId: 0 }),
    ];
    const second = replay([{ actionType: ActionType.CreateTimer, fireAt }], history);
    // 4 days remain, under the 6-day maximum: the final timer is scheduled.
    expect(second.newDecisions).toEqual([{ kind: 'timer', id: 1, fireAt }]);
  });

  it('expands a retried activity into attempt, timer, attempt as the framework does', () => {
    const retry: OrchestratorAction = {
      actionType: ActionType.CallActivityWithRetry,
      functionName: 'f',
      retryOptions: { firstRetryIntervalInMilliseconds: 500, maxNumberOfAttempts: 2, backoffCoefficient: 3 },
    };
    const history = [
      ...started(),
      historyEvent(EventType.TaskScheduled, at(0), { EventId: 0, Name: 'f' }),
      historyEvent(EventType.OrchestratorStarted, at(100)),
      historyEvent(EventType.TaskFailed, at(100), { TaskScheduledId: 0, Reason: 'no' }),
    ];
    const afterFailure = replay([retry], history);
    expect(afterFailure.newDecisions).toEqual([{ kind: 'timer', id: 1, fireAt: at(600).toISOString() }]);
    const more = [
      ...history,
      historyEvent(EventType.TimerCreated, at(100), { EventId: 1, FireAt: at(600).toISOString() }),
      historyEvent(EventType.OrchestratorStarted, at(600)),
      historyEvent(EventType.TimerFired, at(600), { TimerId: 1 }),
    ];
    expect(replay([retry], more).newDecisions.map((d) => [d.kind, d.id])).toEqual([['activity', 2]]);
  });

  it('continues with the next action after a failed one, as the shim ignores failures', () => {
    const history = [
      ...started(),
      historyEvent(EventType.TaskScheduled, at(0), { EventId: 0, Name: 'a' }),
      historyEvent(EventType.OrchestratorStarted, at(1)),
      historyEvent(EventType.TaskFailed, at(1), { TaskScheduledId: 0, Reason: 'x' }),
    ];
    expect(replay([activity('a'), activity('b')], history).newDecisions.map((d) => d.id)).toEqual([1]);
  });

  it('delivers events raised before the wait, in order', () => {
    const history = [...started(), historyEvent(EventType.EventRaised, at(0), { Name: 'go' })];
    const result = replay(
      [{ actionType: ActionType.WaitForExternalEvent, externalEventName: 'go' }, activity('after')],
      history,
    );
    expect(result.newDecisions.map((d) => d.kind)).toEqual(['activity']);
    expect(result.waitingForEvents).toBe(false);
  });

  it('numbers entity signals as fire-and-forget sends', () => {
    const result = replay(
      [
        { actionType: ActionType.SignalEntity, instanceId: '@counter@k', operation: 'add', input: 1 },
        { actionType: ActionType.CallEntity, instanceId: '@counter@k', operation: 'get' },
      ],
      started(),
    );
    expect(result.newDecisions.map((d) => [d.kind, d.id])).toEqual([
      ['entitySignal', 0],
      ['entityCall', 1],
    ]);
  });

  it('computes retry delays like DTFx RetryInterceptor', () => {
    const options = {
      firstRetryIntervalInMilliseconds: 100,
      maxNumberOfAttempts: 5,
      backoffCoefficient: 2,
      maxRetryIntervalInMilliseconds: 300,
    };
    expect([0, 1, 2, 3].map((attempt) => computeRetryDelayMs(options, attempt, 0, 0))).toEqual([
      100, 200, 300, 300,
    ]);
    expect(computeRetryDelayMs({ ...options, retryTimeoutInMilliseconds: 50 }, 0, 0, 60)).toBe(0);
  });
});

describe('replayActions with late episodes', () => {
  it('completes a long timer without another interval when the episode runs after its final time', () => {
    const fireAt = at(7 * day).toISOString();
    const history = [
      ...started(),
      historyEvent(EventType.TimerCreated, at(0), { EventId: 0, FireAt: at(3 * day).toISOString() }),
      // The episode that delivers the first interval runs only at day 8.
      historyEvent(EventType.OrchestratorStarted, at(8 * day)),
      historyEvent(EventType.TimerFired, at(3 * day), { TimerId: 0 }),
    ];
    const result = replay([{ actionType: ActionType.CreateTimer, fireAt }, activity('after')], history);
    expect(result.newDecisions).toEqual([{ kind: 'activity', id: 1, name: 'after', input: undefined }]);
  });
});
