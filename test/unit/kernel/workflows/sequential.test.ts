import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../../../src/kernel/workflows';
import { buildPlan, completedStep, failedStep, sequentialInput } from '../../../../src/kernel/workflows';

const context = { brief: 'launch plan' };

const plan = buildPlan({
  workflow: 'sequential',
  agent_ids: ['research', 'write', 'edit'],
  config: {
    steps: [
      { id: 'research', agent_id: 'research' },
      { id: 'write', agent_id: 'write' },
      { id: 'gate', kind: 'approval', deadline_seconds: 60 },
      { id: 'edit', agent_id: 'edit' },
      { id: 'style', agent_id: 'edit', input: { guide: 'house' } },
    ],
  },
});
const step = (id: string) => plan.steps.find((candidate) => candidate.id === id)!;

describe('sequentialInput', () => {
  it('gives the first step the request context', () => {
    expect(sequentialInput(plan, step('research'), [], context)).toBe(context);
  });

  it("gives each later step the previous step's output", () => {
    const results: StepResult[] = [
      completedStep('research', 'research', { message: 'notes', output: { facts: 3 } }),
    ];
    expect(sequentialInput(plan, step('write'), results, context)).toEqual({ facts: 3 });
  });

  it("uses the previous step's message when it gave no output", () => {
    const results = [completedStep('research', 'research', { message: 'notes' })];
    expect(sequentialInput(plan, step('write'), results, context)).toBe('notes');
  });

  it('passes through an approval step to the output before it', () => {
    const results: StepResult[] = [
      completedStep('research', 'research', { message: 'notes' }),
      completedStep('write', 'write', { message: 'draft v1' }),
      { step_id: 'gate', agent_id: null, status: 'completed', message: 'approved' },
    ];
    expect(sequentialInput(plan, step('edit'), results, context)).toBe('draft v1');
  });

  it('uses a fixed input when the step names one', () => {
    expect(sequentialInput(plan, step('style'), [], context)).toEqual({ guide: 'house' });
  });

  it('gives null when the previous step did not complete', () => {
    const results = [failedStep('research', 'research', 'timeout')];
    expect(sequentialInput(plan, step('write'), results, context)).toBeNull();
  });
});
