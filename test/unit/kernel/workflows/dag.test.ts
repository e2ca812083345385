import { describe, expect, it } from 'vitest';
import type { DagState, WorkflowPlan } from '../../../../src/kernel/workflows';
import {
  buildPlan,
  completedStep,
  dagStepInput,
  emptyDagState,
  isFinished,
  markRunning,
  markSettled,
  readySteps,
  stepsToSkip,
} from '../../../../src/kernel/workflows';

/**
 *   fetch ─┬─ left ──┬─ join ── report
 *          └─ right ─┘
 *   audit (independent, listed first in dependency order but last in the plan)
 */
function diamond(onFailure: 'fail' | 'collect' = 'collect'): WorkflowPlan {
  return buildPlan({
    workflow: 'dag',
    agent_ids: ['a', 'b'],
    config: {
      on_failure: onFailure,
      steps: [
        { id: 'report', agent_id: 'a', depends_on: ['join'] },
        { id: 'join', agent_id: 'a', depends_on: ['left', 'right'] },
        { id: 'left', agent_id: 'b', depends_on: ['fetch'] },
        { id: 'right', agent_id: 'b', depends_on: ['fetch'] },
        { id: 'fetch', agent_id: 'a' },
        { id: 'audit', agent_id: 'b' },
      ],
    },
  });
}

function state(partial: Partial<DagState>): DagState {
  return { ...emptyDagState, ...partial };
}

const ids = (steps: readonly { id: string }[]): string[] => steps.map((step) => step.id);

describe('readySteps', () => {
  it('starts with the steps that depend on nothing, in plan order', () => {
    expect(ids(readySteps(diamond(), emptyDagState))).toEqual(['fetch', 'audit']);
  });

  it('never offers a step that is running or settled', () => {
    expect(ids(readySteps(diamond(), state({ running: ['fetch'], completed: ['audit'] })))).toEqual([]);
  });

  it('offers a step once all its dependencies completed', () => {
    const plan = diamond();
    expect(ids(readySteps(plan, state({ completed: ['fetch', 'audit'] })))).toEqual(['left', 'right']);
    expect(
      ids(readySteps(plan, state({ completed: ['fetch', 'audit', 'left'], running: ['right'] }))),
    ).toEqual([]);
    expect(ids(readySteps(plan, state({ completed: ['fetch', 'audit', 'left', 'right'] })))).toEqual([
      'join',
    ]);
  });

  it('does not offer a step whose dependency failed or was skipped', () => {
    expect(ids(readySteps(diamond(), state({ completed: ['fetch', 'left'], failed: ['right'] })))).toEqual([
      'audit',
    ]);
  });

  it("starts nothing new after a failure under on_failure 'fail'", () => {
    expect(readySteps(diamond('fail'), state({ completed: ['fetch'], failed: ['audit'] }))).toEqual([]);
  });
});

describe('stepsToSkip', () => {
  it('skips the dependents of a failed step transitively, in plan order', () => {
    const plan = diamond();
    expect(
      ids(stepsToSkip(plan, state({ completed: ['fetch'], failed: ['left'], running: ['right'] }))),
    ).toEqual(['report', 'join']);
  });

  it('skips everything downstream of a failure at the root, but not independent steps', () => {
    expect(ids(stepsToSkip(diamond(), state({ failed: ['fetch'] })))).toEqual([
      'report',
      'join',
      'left',
      'right',
    ]);
  });

  it('treats skipped steps like failed ones', () => {
    expect(
      ids(stepsToSkip(diamond(), state({ completed: ['fetch', 'left', 'right'], skipped: ['join'] }))),
    ).toEqual(['report']);
  });

  it('skips nothing without failures', () => {
    expect(stepsToSkip(diamond(), state({ completed: ['fetch'] }))).toEqual([]);
  });

  it("under on_failure 'fail' skips every step not yet started", () => {
    expect(ids(stepsToSkip(diamond('fail'), state({ failed: ['audit'], running: ['fetch'] })))).toEqual([
      'report',
      'join',
      'left',
      'right',
    ]);
  });
});

describe('isFinished', () => {
  it('is false while steps can start or are running', () => {
    expect(isFinished(diamond(), emptyDagState)).toBe(false);
    expect(isFinished(diamond(), state({ running: ['fetch', 'audit'] }))).toBe(false);
  });

  it('is false while steps are waiting to be skipped', () => {
    expect(isFinished(diamond(), state({ failed: ['fetch'], completed: ['audit'] }))).toBe(false);
  });

  it('is true when every step has settled', () => {
    expect(
      isFinished(
        diamond(),
        state({ completed: ['fetch', 'audit', 'left'], failed: ['right'], skipped: ['join', 'report'] }),
      ),
    ).toBe(true);
  });

  it('walks a whole plan to the end when driven by its own answers', () => {
    const plan = diamond();
    let current: DagState = emptyDagState;
    const order: string[][] = [];
    for (let round = 0; round < 10 && !isFinished(plan, current); round += 1) {
      for (const step of stepsToSkip(plan, current)) current = markSettled(current, step.id, 'skipped');
      const ready = ids(readySteps(plan, current));
      order.push(ready);
      current = markRunning(current, ready);
      for (const id of ready) current = markSettled(current, id, id === 'right' ? 'failed' : 'completed');
    }
    expect(order).toEqual([['fetch', 'audit'], ['left', 'right'], []]);
    expect(current).toEqual({
      completed: ['fetch', 'audit', 'left'],
      failed: ['right'],
      skipped: ['report', 'join'],
      running: [],
    });
    expect(isFinished(plan, current)).toBe(true);
  });
});

describe('markRunning and markSettled', () => {
  it('moves a step between sets without copying it twice', () => {
    const running = markRunning(markRunning(emptyDagState, ['x']), ['x', 'y']);
    expect(running.running).toEqual(['x', 'y']);
    const settled = markSettled(running, 'x', 'completed');
    expect(settled).toEqual({ completed: ['x'], failed: [], skipped: [], running: ['y'] });
    expect(running.running).toEqual(['x', 'y']);
  });
});

describe('dagStepInput', () => {
  const plan = diamond();
  const step = (id: string) => plan.steps.find((candidate) => candidate.id === id)!;
  const context = { topic: 'q3' };

  it('gives a root step the context', () => {
    expect(dagStepInput(step('fetch'), [], context)).toBe(context);
  });

  it('gives a dependent step its dependencies’ outputs keyed by step id', () => {
    const results = [
      completedStep('left', 'b', { message: 'L', output: { n: 1 } }),
      completedStep('right', 'b', { message: 'R' }),
    ];
    expect(dagStepInput(step('join'), results, context)).toEqual({ left: { n: 1 }, right: 'R' });
  });

  it('uses a fixed input when the step has one', () => {
    const fixed = buildPlan({
      workflow: 'dag',
      agent_ids: ['a'],
      config: {
        steps: [
          { id: 'x', agent_id: 'a' },
          { id: 'y', agent_id: 'a', depends_on: ['x'], input: 'fixed' },
        ],
      },
    });
    expect(dagStepInput(fixed.steps[1]!, [], context)).toBe('fixed');
  });
});
