import { describe, expect, it } from 'vitest';
import type { FieldError } from '../../../../src/kernel/errors';
import { KernelError } from '../../../../src/kernel/errors';
import type { PlanInput, StepDefinition, WorkflowPlan } from '../../../../src/kernel/workflows';
import { buildPlan, planLength } from '../../../../src/kernel/workflows';

function request(
  workflow: PlanInput['workflow'],
  config: Record<string, unknown> = {},
  agentIds = ['a', 'b', 'c'],
) {
  return { workflow, agent_ids: agentIds, config };
}

/** The field errors buildPlan throws (fails the test if it does not throw). */
function planFaults(input: PlanInput): FieldError[] {
  try {
    buildPlan(input);
  } catch (error) {
    expect(error).toBeInstanceOf(KernelError);
    const kernelError = error as KernelError;
    expect(kernelError.status).toBe(400);
    return [...(kernelError.errors ?? [])];
  }
  throw new Error('buildPlan accepted the request');
}

function faultFields(input: PlanInput): string[] {
  return planFaults(input).map((error) => error.field);
}

function stepIds(plan: WorkflowPlan): string[] {
  return plan.steps.map((step) => step.id);
}

const agent = (id: string, agentId: string, extra: Record<string, unknown> = {}) => ({
  id,
  agent_id: agentId,
  ...extra,
});

describe('buildPlan: common config', () => {
  it('applies the defaults', () => {
    const plan = buildPlan(request('collaborative'));
    expect(plan).toMatchObject({
      kind: 'collaborative',
      agent_ids: ['a', 'b', 'c'],
      steps: [],
      on_failure: 'fail',
      coordinator: null,
      max_turns: 20,
      turns_per_execution: 25,
    });
  });

  it('takes valid settings', () => {
    const plan = buildPlan(
      request('collaborative', { max_turns: 10_000, turns_per_execution: 1, on_failure: 'collect' }),
    );
    expect(plan).toMatchObject({ max_turns: 10_000, turns_per_execution: 1, on_failure: 'collect' });
  });

  it('reports every out-of-range setting at once, in the body', () => {
    const errors = planFaults(
      request('collaborative', { max_turns: 0, turns_per_execution: 501, on_failure: 'ignore' }),
    );
    expect(errors.map((error) => error.field)).toEqual([
      'config.max_turns',
      'config.turns_per_execution',
      'config.on_failure',
    ]);
    expect(errors.every((error) => error.in === 'body')).toBe(true);
  });

  it('rejects non-integer turn limits', () => {
    expect(faultFields(request('collaborative', { max_turns: 2.5 }))).toEqual(['config.max_turns']);
    expect(faultFields(request('collaborative', { max_turns: '20' }))).toEqual(['config.max_turns']);
  });

  it('lets unknown config keys through', () => {
    expect(() => buildPlan(request('collaborative', { temperature: 0.2 }))).not.toThrow();
  });
});

describe('buildPlan: sequential', () => {
  it('without steps runs the agents in order, each after the one before', () => {
    const plan = buildPlan(request('sequential'));
    expect(plan.steps).toEqual([
      { id: 'a', kind: 'agent', agent_id: 'a', depends_on: [] },
      { id: 'b', kind: 'agent', agent_id: 'b', depends_on: ['a'] },
      { id: 'c', kind: 'agent', agent_id: 'c', depends_on: ['b'] },
    ]);
    expect(planLength(plan)).toBe(3);
  });

  it('names steps step-N when an agent repeats', () => {
    const plan = buildPlan(request('sequential', {}, ['a', 'b', 'a']));
    expect(stepIds(plan)).toEqual(['step-1', 'step-2', 'step-3']);
    expect(plan.steps.map((step) => (step.kind === 'agent' ? step.agent_id : null))).toEqual(['a', 'b', 'a']);
  });

  it('with steps runs them in the order listed', () => {
    const plan = buildPlan(
      request('sequential', {
        steps: [
          agent('draft', 'b', { input: { tone: 'dry' } }),
          { id: 'ok', kind: 'approval', deadline_seconds: 60 },
          agent('polish', 'a'),
        ],
      }),
    );
    expect(stepIds(plan)).toEqual(['draft', 'ok', 'polish']);
    expect(plan.steps.map((step) => step.depends_on)).toEqual([[], ['draft'], ['ok']]);
    expect(plan.steps[0]).toMatchObject({ input: { tone: 'dry' } });
  });

  it('rejects depends_on in sequential steps', () => {
    expect(
      faultFields(
        request('sequential', { steps: [agent('x', 'a'), agent('y', 'b', { depends_on: ['x'] })] }),
      ),
    ).toEqual(['config.steps.1.depends_on']);
  });

  it('rejects an empty step list', () => {
    expect(faultFields(request('sequential', { steps: [] }))).toEqual(['config.steps']);
  });
});

describe('buildPlan: parallel, hierarchical, collaborative', () => {
  it('parallel runs one step per agent with no dependencies', () => {
    const plan = buildPlan(request('parallel'));
    expect(stepIds(plan)).toEqual(['a', 'b', 'c']);
    expect(plan.steps.every((step) => step.depends_on.length === 0)).toBe(true);
    expect(planLength(plan)).toBe(3);
  });

  it('parallel takes listed steps and rejects depends_on', () => {
    expect(stepIds(buildPlan(request('parallel', { steps: [agent('x', 'a'), agent('y', 'a')] })))).toEqual([
      'x',
      'y',
    ]);
    expect(
      faultFields(request('parallel', { steps: [agent('x', 'a'), agent('y', 'b', { depends_on: ['x'] })] })),
    ).toEqual(['config.steps.1.depends_on']);
  });

  it('hierarchical defaults the coordinator to the first agent', () => {
    const plan = buildPlan(request('hierarchical'));
    expect(plan.coordinator).toBe('a');
    expect(planLength(plan)).toBeNull();
  });

  it('hierarchical takes a coordinator from agent_ids and rejects any other', () => {
    expect(buildPlan(request('hierarchical', { coordinator: 'c' })).coordinator).toBe('c');
    expect(faultFields(request('hierarchical', { coordinator: 'z' }))).toEqual(['config.coordinator']);
  });

  it('hierarchical needs at least one specialist', () => {
    expect(faultFields(request('hierarchical', {}, ['a']))).toEqual(['agent_ids']);
  });

  it('collaborative has no known length', () => {
    expect(planLength(buildPlan(request('collaborative')))).toBeNull();
  });

  it.each(['hierarchical', 'collaborative'] as const)('%s rejects steps', (workflow) => {
    expect(faultFields(request(workflow, { steps: [agent('x', 'a')] }))).toEqual(['config.steps']);
  });
});

describe('buildPlan: steps', () => {
  it('requires steps for dag', () => {
    expect(faultFields(request('dag'))).toEqual(['config.steps']);
  });

  it('builds a dag with its dependencies', () => {
    const plan = buildPlan(
      request('dag', {
        steps: [
          agent('fetch', 'a'),
          agent('left', 'b', { depends_on: ['fetch'] }),
          agent('join', 'c', { depends_on: ['left', 'fetch'] }),
        ],
      }),
    );
    expect(plan.steps.map((step) => [step.id, step.depends_on])).toEqual([
      ['fetch', []],
      ['left', ['fetch']],
      ['join', ['left', 'fetch']],
    ]);
    expect(planLength(plan)).toBe(3);
  });

  it('rejects duplicate step ids, naming the first', () => {
    const errors = planFaults(request('dag', { steps: [agent('x', 'a'), agent('y', 'b'), agent('x', 'c')] }));
    expect(errors).toEqual([
      expect.objectContaining({ field: 'config.steps.2.id', message: 'repeats the id of config.steps.0' }),
    ]);
  });

  it('rejects malformed step ids', () => {
    expect(faultFields(request('dag', { steps: [agent('has space', 'a')] }))).toEqual(['config.steps.0.id']);
    expect(faultFields(request('dag', { steps: [agent('x'.repeat(65), 'a')] }))).toEqual([
      'config.steps.0.id',
    ]);
  });

  it('rejects an agent step naming an agent outside agent_ids', () => {
    const errors = planFaults(request('dag', { steps: [agent('x', 'a'), agent('y', 'stranger')] }));
    expect(errors).toEqual([
      expect.objectContaining({ field: 'config.steps.1.agent_id', message: 'is not one of agent_ids' }),
    ]);
  });

  it('requires agent_id on agent steps (the default kind)', () => {
    expect(faultFields(request('dag', { steps: [{ id: 'x' }] }))).toEqual(['config.steps.0.agent_id']);
  });

  it('rejects unknown step members and members of another kind', () => {
    expect(faultFields(request('dag', { steps: [agent('x', 'a', { colour: 'red' })] }))).toEqual([
      'config.steps.0',
    ]);
    expect(
      faultFields(request('dag', { steps: [agent('x', 'a', { deadline_seconds: 5, prompt: 'p' })] })),
    ).toEqual(['config.steps.0.prompt', 'config.steps.0.deadline_seconds']);
  });

  it('rejects depends_on naming no step, with the position', () => {
    const errors = planFaults(
      request('dag', { steps: [agent('x', 'a'), agent('y', 'b', { depends_on: ['x', 'ghost'] })] }),
    );
    expect(errors).toEqual([
      expect.objectContaining({
        field: 'config.steps.1.depends_on.1',
        message: 'names no step in config.steps',
      }),
    ]);
  });

  it('rejects a dependency listed twice', () => {
    expect(
      faultFields(request('dag', { steps: [agent('x', 'a'), agent('y', 'b', { depends_on: ['x', 'x'] })] })),
    ).toEqual(['config.steps.1.depends_on.1']);
  });

  it('rejects a cycle, naming every step in it', () => {
    const errors = planFaults(
      request('dag', {
        steps: [
          agent('start', 'a'),
          agent('p', 'a', { depends_on: ['start', 'r'] }),
          agent('q', 'b', { depends_on: ['p'] }),
          agent('r', 'c', { depends_on: ['q'] }),
        ],
      }),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ field: 'config.steps.2.depends_on.0', code: 'cycle' });
    expect(errors[0]!.message).toContain("'p' → 'r' → 'q' → 'p'");
  });

  it('rejects a step depending on itself', () => {
    const errors = planFaults(request('dag', { steps: [agent('x', 'a', { depends_on: ['x'] })] }));
    expect(errors).toEqual([
      expect.objectContaining({ field: 'config.steps.0.depends_on.0', code: 'cycle' }),
    ]);
    expect(errors[0]!.message).toContain("'x'");
  });

  it('reports two separate cycles separately', () => {
    const errors = planFaults(
      request('dag', {
        steps: [
          agent('a1', 'a', { depends_on: ['a2'] }),
          agent('a2', 'a', { depends_on: ['a1'] }),
          agent('b1', 'b', { depends_on: ['b2'] }),
          agent('b2', 'b', { depends_on: ['b1'] }),
        ],
      }),
    );
    expect(errors.map((error) => error.code)).toEqual(['cycle', 'cycle']);
    expect(errors[0]!.message).toContain("'a1' → 'a2' → 'a1'");
    expect(errors[1]!.message).toContain("'b1' → 'b2' → 'b1'");
  });

  it('accepts a diamond, which is not a cycle', () => {
    expect(() =>
      buildPlan(
        request('dag', {
          steps: [
            agent('top', 'a'),
            agent('l', 'a', { depends_on: ['top'] }),
            agent('r', 'b', { depends_on: ['top'] }),
            agent('bottom', 'c', { depends_on: ['l', 'r'] }),
          ],
        }),
      ),
    ).not.toThrow();
  });

  it('reports a cycle together with the other faults of its steps', () => {
    const fields = faultFields(
      request('dag', {
        steps: [agent('x', 'stranger', { depends_on: ['y'] }), agent('y', 'a', { depends_on: ['x'] })],
      }),
    );
    expect(fields).toEqual(['config.steps.0.agent_id', 'config.steps.1.depends_on.0']);
  });
});

describe('buildPlan: approval steps', () => {
  it('requires a deadline and defaults the outcome to rejected', () => {
    expect(faultFields(request('dag', { steps: [{ id: 'ok', kind: 'approval' }] }))).toEqual([
      'config.steps.0.deadline_seconds',
    ]);
    const plan = buildPlan(
      request('dag', { steps: [{ id: 'ok', kind: 'approval', deadline_seconds: 3600 }] }),
    );
    expect(plan.steps[0]).toEqual({
      id: 'ok',
      kind: 'approval',
      depends_on: [],
      prompt: "Approve step 'ok'?",
      approvers: [],
      deadline_seconds: 3600,
      default_outcome: 'rejected',
    });
  });

  it('keeps prompt, approvers and default outcome', () => {
    const plan = buildPlan(
      request('dag', {
        steps: [
          {
            id: 'ok',
            kind: 'approval',
            deadline_seconds: 60,
            default_outcome: 'approved',
            prompt: 'Ship it?',
            approvers: ['alice@contoso.com'],
          },
        ],
      }),
    );
    expect(plan.steps[0]).toMatchObject({
      prompt: 'Ship it?',
      approvers: ['alice@contoso.com'],
      default_outcome: 'approved',
    });
  });

  it.each([0, 31_536_001, 1.5])('rejects the deadline %s', (deadline) => {
    expect(
      faultFields(request('dag', { steps: [{ id: 'ok', kind: 'approval', deadline_seconds: deadline }] })),
    ).toEqual(['config.steps.0.deadline_seconds']);
  });

  it('rejects an unknown default outcome and agent members', () => {
    expect(
      faultFields(
        request('dag', {
          steps: [{ id: 'ok', kind: 'approval', deadline_seconds: 5, default_outcome: 'maybe' }],
        }),
      ),
    ).toEqual(['config.steps.0.default_outcome']);
    expect(
      faultFields(
        request('dag', { steps: [{ id: 'ok', kind: 'approval', deadline_seconds: 5, agent_id: 'a' }] }),
      ),
    ).toEqual(['config.steps.0.agent_id']);
  });
});

describe('buildPlan: sub-workflow steps', () => {
  const sub = (id: string, extra: Record<string, unknown>) => ({ id, kind: 'workflow', ...extra });

  it('builds a nested plan from its own workflow, agents and config', () => {
    const plan = buildPlan(
      request('dag', {
        steps: [
          agent('x', 'a'),
          sub('review', {
            workflow: 'parallel',
            agent_ids: ['b', 'c'],
            depends_on: ['x'],
            input: { doc: 1 },
          }),
        ],
      }),
    );
    const step = plan.steps[1] as Extract<StepDefinition, { kind: 'workflow' }>;
    expect(step).toMatchObject({ id: 'review', kind: 'workflow', depends_on: ['x'], input: { doc: 1 } });
    expect(step.plan).toMatchObject({ kind: 'parallel', agent_ids: ['b', 'c'] });
    expect(stepIds(step.plan)).toEqual(['b', 'c']);
  });

  it('defaults the nested agents to the enclosing ones', () => {
    const plan = buildPlan(
      request('sequential', {
        steps: [sub('inner', { workflow: 'collaborative', config: { max_turns: 3 } })],
      }),
    );
    const step = plan.steps[0] as Extract<StepDefinition, { kind: 'workflow' }>;
    expect(step.plan).toMatchObject({ kind: 'collaborative', agent_ids: ['a', 'b', 'c'], max_turns: 3 });
  });

  it('requires the nested workflow', () => {
    expect(faultFields(request('dag', { steps: [sub('inner', {})] }))).toEqual(['config.steps.0.workflow']);
  });

  it('rejects nested agents outside the enclosing agent_ids', () => {
    expect(
      faultFields(request('dag', { steps: [sub('inner', { workflow: 'parallel', agent_ids: ['a', 'z'] })] })),
    ).toEqual(['config.steps.0.agent_ids.1']);
  });

  it('reports nested config faults under the step', () => {
    const fields = faultFields(
      request('dag', {
        steps: [
          sub('inner', {
            workflow: 'dag',
            config: {
              max_turns: -1,
              steps: [agent('p', 'a', { depends_on: ['q'] }), agent('q', 'a', { depends_on: ['p'] })],
            },
          }),
        ],
      }),
    );
    expect(fields).toEqual(['config.steps.0.config.max_turns', 'config.steps.0.config.steps.1.depends_on.0']);
  });

  it('reports a nested hierarchical without specialists under the step', () => {
    expect(
      faultFields(request('dag', { steps: [sub('inner', { workflow: 'hierarchical', agent_ids: ['a'] })] })),
    ).toEqual(['config.steps.0.agent_ids']);
  });

  function nested(depth: number): Record<string, unknown> {
    return depth === 0
      ? { workflow: 'parallel' }
      : { workflow: 'sequential', config: { steps: [sub(`level${depth}`, nested(depth - 1))] } };
  }

  it('allows three levels of sub-workflows and no more', () => {
    const three = nested(2);
    expect(() => buildPlan(request('sequential', { steps: [sub('level3', three)] }))).not.toThrow();
    const four = nested(3);
    expect(faultFields(request('sequential', { steps: [sub('level4', four)] }))).toEqual([
      'config.steps.0.config.steps.0.config.steps.0.config.steps.0',
    ]);
  });

  it('rejects approval members on a workflow step', () => {
    expect(
      faultFields(request('dag', { steps: [sub('inner', { workflow: 'parallel', deadline_seconds: 5 })] })),
    ).toEqual(['config.steps.0.deadline_seconds']);
  });
});
