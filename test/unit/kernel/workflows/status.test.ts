import { describe, expect, it } from 'vitest';
import type { OrchestrationCustomStatus } from '../../../../src/kernel/workflows';
import { buildPlan, contractStatus, progress, readCustomStatus } from '../../../../src/kernel/workflows';

describe('contractStatus', () => {
  it.each([
    ['Pending', 'pending'],
    ['Running', 'active'],
    ['ContinuedAsNew', 'active'],
    ['Suspended', 'active'],
    ['Completed', 'completed'],
    ['Terminated', 'cancelled'],
    ['Canceled', 'cancelled'],
    ['Failed', 'failed'],
  ])('maps %s to %s', (runtime, expected) => {
    expect(contractStatus(runtime, undefined)).toBe(expected);
  });

  it('accepts any casing', () => {
    expect(contractStatus('RUNNING', null)).toBe('active');
    expect(contractStatus('continuedAsNew', null)).toBe('active');
  });

  it('reports a run that completed on a stop request as stopped', () => {
    expect(contractStatus('Completed', { phase: 'finished', ended_by: 'stopped' })).toBe('stopped');
    expect(contractStatus('Completed', null, { ended_by: 'stopped' })).toBe('stopped');
  });

  it('reports completed for the other collaborative ends', () => {
    expect(contractStatus('Completed', { phase: 'finished', ended_by: 'completed' })).toBe('completed');
    expect(contractStatus('Completed', { phase: 'finished', ended_by: 'max_turns' })).toBe('completed');
  });

  it('reports a completed run with a failed outcome as failed', () => {
    expect(contractStatus('Completed', null, { status: 'failed', results: {}, failures: [] })).toBe('failed');
    expect(contractStatus('Completed', { phase: 'finished', ended_by: 'failed' })).toBe('failed');
  });

  it('lets the output decide over the custom status', () => {
    expect(
      contractStatus('Completed', { phase: 'finished', ended_by: 'stopped' }, { ended_by: 'completed' }),
    ).toBe('completed');
  });

  it('keeps a running run active while a stop is pending', () => {
    expect(contractStatus('Running', { phase: 'running', stop_requested: true })).toBe('active');
  });

  it('treats an unknown runtime status as active, so clients keep polling', () => {
    expect(contractStatus('Rewinding', undefined)).toBe('active');
  });
});

describe('readCustomStatus', () => {
  it('reads back what the orchestrator publishes', () => {
    const published: OrchestrationCustomStatus = {
      phase: 'awaiting_approval',
      workflow: 'dag',
      completed_steps: 2,
      waiting_for: { step_id: 'gate', approvers: [], deadline: '2024-01-01T00:00:00Z' },
    };
    expect(readCustomStatus(JSON.parse(JSON.stringify(published)))).toEqual(published);
  });

  it('gives null for anything else', () => {
    expect(readCustomStatus(null)).toBeNull();
    expect(readCustomStatus('running')).toBeNull();
    expect(readCustomStatus({ phase: 'dancing' })).toBeNull();
  });
});

describe('progress', () => {
  const sequential = buildPlan({ workflow: 'sequential', agent_ids: ['a', 'b', 'c'], config: {} });

  it('counts settled steps against the plan length', () => {
    expect(progress(sequential, { phase: 'running', completed_steps: 2 })).toEqual({
      completed_steps: 2,
      total_steps: 3,
    });
  });

  it('starts at zero without a custom status', () => {
    expect(progress(sequential, null)).toEqual({ completed_steps: 0, total_steps: 3 });
  });

  it('never reports more than the total', () => {
    expect(progress(sequential, { phase: 'running', completed_steps: 9 })).toEqual({
      completed_steps: 3,
      total_steps: 3,
    });
  });

  it('is null for collaborative runs', () => {
    const collaborative = buildPlan({ workflow: 'collaborative', agent_ids: ['a'], config: {} });
    expect(progress(collaborative, { phase: 'running', turn: 4 })).toBeNull();
  });

  it('uses the published total for hierarchical runs, and null before it is known', () => {
    const hierarchical = buildPlan({ workflow: 'hierarchical', agent_ids: ['a', 'b', 'c'], config: {} });
    expect(progress(hierarchical, { phase: 'delegating' })).toBeNull();
    expect(progress(hierarchical, { phase: 'specialists', completed_steps: 1, total_steps: 4 })).toEqual({
      completed_steps: 1,
      total_steps: 4,
    });
  });
});
