import { describe, expect, it } from 'vitest';
import {
  buildPlan,
  completedStep,
  delegateInput,
  delegationFrom,
  failedStep,
  integrationInput,
  specialistsOf,
} from '../../../../src/kernel/workflows';

const plan = buildPlan({
  workflow: 'hierarchical',
  agent_ids: ['analyst', 'lead', 'writer'],
  config: { coordinator: 'lead' },
});
const purpose = { purpose: 'Quarterly review', purpose_scope: 'Finance' };

describe('hierarchical inputs', () => {
  it('lists the specialists: every agent but the coordinator', () => {
    expect(specialistsOf(plan)).toEqual(['analyst', 'writer']);
  });

  it('asks the coordinator to delegate with the purpose and the specialists', () => {
    expect(delegateInput(plan, purpose)).toEqual({
      phase: 'delegate',
      purpose,
      specialists: ['analyst', 'writer'],
    });
  });

  it('hands the coordinator the results to integrate', () => {
    const results = [
      completedStep('analyst', 'analyst', { message: 'numbers' }),
      failedStep('writer', 'writer', 'down'),
    ];
    expect(integrationInput(results)).toEqual({
      phase: 'integrate',
      results: { analyst: results[0], writer: results[1] },
    });
  });
});

describe('delegationFrom', () => {
  it('delegates to every specialist with the coordinator’s message when no delegation is given', () => {
    expect(delegationFrom({ message: 'Analyse Q3' }, plan)).toEqual({
      source: 'default',
      delegations: [
        { step_id: 'analyst', agent_id: 'analyst', input: 'Analyse Q3' },
        { step_id: 'writer', agent_id: 'writer', input: 'Analyse Q3' },
      ],
      ignored: [],
    });
  });

  it('follows the coordinator’s delegation and its inputs', () => {
    const plan2 = delegationFrom(
      {
        message: 'go',
        output: {
          delegate: [{ agent_id: 'writer', input: { section: 'summary' } }, { agent_id: 'analyst' }],
        },
      },
      plan,
    );
    expect(plan2.source).toBe('coordinator');
    expect(plan2.delegations).toEqual([
      { step_id: 'writer', agent_id: 'writer', input: { section: 'summary' } },
      { step_id: 'analyst', agent_id: 'analyst', input: 'go' },
    ]);
  });

  it('ignores unknown agents, the coordinator itself, repeats and malformed entries', () => {
    const result = delegationFrom(
      {
        message: 'go',
        output: {
          delegate: [
            { agent_id: 'stranger' },
            { agent_id: 'lead' },
            { agent_id: 'writer' },
            { agent_id: 'writer' },
            'analyst',
            {},
          ],
        },
      },
      plan,
    );
    expect(result.delegations.map((delegation) => delegation.agent_id)).toEqual(['writer']);
    expect(result.ignored).toEqual([
      { index: 0, agent_id: 'stranger', reason: 'not a specialist' },
      { index: 1, agent_id: 'lead', reason: 'the coordinator cannot delegate to itself' },
      { index: 3, agent_id: 'writer', reason: 'specialist already delegated to' },
      { index: 4, agent_id: null, reason: 'entry has no agent_id' },
      { index: 5, agent_id: null, reason: 'entry has no agent_id' },
    ]);
  });

  it('takes an empty delegation as "no specialists needed"', () => {
    expect(delegationFrom({ message: 'trivial', output: { delegate: [] } }, plan)).toEqual({
      source: 'coordinator',
      delegations: [],
      ignored: [],
    });
  });

  it('falls back to every specialist when delegate is not a list', () => {
    const result = delegationFrom({ message: 'go', output: { delegate: 'writer' } }, plan);
    expect(result.source).toBe('default');
    expect(result.delegations).toHaveLength(2);
    expect(result.ignored).toEqual([{ index: 0, agent_id: null, reason: 'output.delegate is not a list' }]);
  });
});
