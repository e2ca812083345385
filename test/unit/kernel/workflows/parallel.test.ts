import { describe, expect, it } from 'vitest';
import type { StepResult, WorkflowPlan } from '../../../../src/kernel/workflows';
import {
  aggregateResults,
  buildPlan,
  completedStep,
  failedStep,
  parallelInput,
} from '../../../../src/kernel/workflows';

function plan(onFailure: 'fail' | 'collect'): WorkflowPlan {
  return buildPlan({ workflow: 'parallel', agent_ids: ['a', 'b', 'c'], config: { on_failure: onFailure } });
}

const context = { question: 'risks?' };

describe('parallelInput', () => {
  it('gives every step the same input: the context', () => {
    const steps = plan('fail').steps;
    expect(steps.map((step) => parallelInput(step, context))).toEqual([context, context, context]);
  });

  it('uses a fixed input when a step names one', () => {
    const withInput = buildPlan({
      workflow: 'parallel',
      agent_ids: ['a'],
      config: {
        steps: [
          { id: 'x', agent_id: 'a', input: 42 },
          { id: 'y', agent_id: 'a' },
        ],
      },
    });
    expect(withInput.steps.map((step) => parallelInput(step, context))).toEqual([42, context]);
  });
});

describe('aggregateResults', () => {
  const results: StepResult[] = [
    completedStep('c', 'c', { message: 'C', output: { score: 3 } }),
    failedStep('b', 'b', 'agent timed out'),
    completedStep('a', 'a', { message: 'A' }),
  ];

  it('completes when every step completed', () => {
    const outcome = aggregateResults(plan('fail'), [
      completedStep('a', 'a', { message: 'A' }),
      completedStep('b', 'b', { message: 'B' }),
      completedStep('c', 'c', { message: 'C' }),
    ]);
    expect(outcome.status).toBe('completed');
    expect(outcome.failures).toEqual([]);
  });

  it("fails on any failure under on_failure 'fail'", () => {
    const outcome = aggregateResults(plan('fail'), results);
    expect(outcome.status).toBe('failed');
    expect(outcome.failures).toEqual([
      { step_id: 'b', agent_id: 'b', status: 'failed', error: 'agent timed out' },
    ]);
  });

  it("completes and lists failures under on_failure 'collect'", () => {
    const outcome = aggregateResults(plan('collect'), results);
    expect(outcome.status).toBe('completed');
    expect(outcome.failures).toEqual([
      { step_id: 'b', agent_id: 'b', status: 'failed', error: 'agent timed out' },
    ]);
  });

  it('keys results by step id in plan order, whatever order they finished in', () => {
    const outcome = aggregateResults(plan('collect'), results);
    expect(Object.keys(outcome.results)).toEqual(['a', 'b', 'c']);
    expect(outcome.results['c']).toMatchObject({ status: 'completed', output: { score: 3 } });
  });

  it('reports plan steps without a result as skipped, not as failures', () => {
    const outcome = aggregateResults(plan('fail'), [completedStep('a', 'a', { message: 'A' })]);
    expect(outcome.status).toBe('completed');
    expect(outcome.results['b']).toMatchObject({ status: 'skipped', agent_id: 'b' });
  });

  it('counts a rejected approval as a failure', () => {
    const gated = buildPlan({
      workflow: 'sequential',
      agent_ids: ['a'],
      config: { steps: [{ id: 'gate', kind: 'approval', deadline_seconds: 5 }] },
    });
    const outcome = aggregateResults(gated, [
      { step_id: 'gate', agent_id: null, status: 'rejected', error: 'rejected by deadline' },
    ]);
    expect(outcome.status).toBe('failed');
    expect(outcome.failures).toEqual([
      { step_id: 'gate', agent_id: null, status: 'rejected', error: 'rejected by deadline' },
    ]);
  });

  it('appends results for steps outside the plan (hierarchical specialists)', () => {
    const hierarchical = buildPlan({ workflow: 'hierarchical', agent_ids: ['lead', 'x', 'y'], config: {} });
    const outcome = aggregateResults(hierarchical, [
      completedStep('y', 'y', { message: 'Y' }),
      completedStep('x', 'x', { message: 'X' }),
    ]);
    expect(Object.keys(outcome.results)).toEqual(['y', 'x']);
  });
});
