import { describe, expect, it } from 'vitest';
import type { AgentReply } from '../../../../src/kernel/agents/types';
import type { CollaborativeState, PostedMessage, TurnDecision } from '../../../../src/kernel/workflows';
import {
  continueAsNewState,
  initialCollaborativeState,
  nextTurn,
  receiveMessages,
  requestStop,
  shouldContinueAsNew,
} from '../../../../src/kernel/workflows';

const agents = ['a', 'b', 'c'];
const start = initialCollaborativeState({ agent_ids: agents });

function turn(
  state: CollaborativeState,
  reply: AgentReply | null,
  options: { posted?: PostedMessage[]; max_turns?: number } = {},
): TurnDecision {
  return nextTurn(state, {
    agents,
    reply,
    max_turns: options.max_turns ?? 20,
    ...(options.posted === undefined ? {} : { posted: options.posted }),
  });
}

/** Runs replies in order and returns the speakers chosen after each. */
function speakers(replies: string[]): (string | null)[] {
  let state = start;
  const chosen: (string | null)[] = [];
  for (const message of replies) {
    const decision = turn(state, { message });
    chosen.push(decision.next_speaker);
    state = decision.state;
  }
  return chosen;
}

describe('collaborative turns', () => {
  it('starts with the first agent', () => {
    expect(start).toMatchObject({ turn: 0, next_speaker: 'a', last_speaker: null, transcript_length: 0 });
  });

  it('goes round-robin without tags', () => {
    expect(speakers(['1', '2', '3', '4'])).toEqual(['b', 'c', 'a', 'b']);
  });

  it('follows a ROUTE to a participant', () => {
    expect(speakers(['[ROUTE:c]', '[ROUTE:a]'])).toEqual(['c', 'a']);
  });

  it('ignores a ROUTE to an unknown agent and falls back to round-robin', () => {
    expect(speakers(['[ROUTE:stranger]'])).toEqual(['b']);
  });

  it('follows the structured route of a reply', () => {
    expect(turn(start, { message: 'see c', route: 'c' }).next_speaker).toBe('c');
  });

  it('hands back to the agent who routed to the current speaker', () => {
    // c routes to a; a hands back to c (round-robin would pick b).
    expect(speakers(['1', '2', '[ROUTE:a]', '[HANDBACK]'])).toEqual(['b', 'c', 'a', 'c']);
    expect(speakers(['[ROUTE:c]', '[HANDBACK]'])).toEqual(['c', 'a']);
  });

  it('unwinds nested handbacks', () => {
    // a → c → b, then b hands back to c, then c hands back to a.
    expect(speakers(['[ROUTE:c]', '[ROUTE:b]', '[HANDBACK]', '[HANDBACK]'])).toEqual(['c', 'b', 'c', 'a']);
  });

  it('hands back to the first agent when nobody routed to the speaker', () => {
    expect(speakers(['1', '[HANDBACK]'])).toEqual(['b', 'a']);
  });

  it('goes round-robin when a handback would return to the speaker itself', () => {
    expect(speakers(['[HANDBACK]'])).toEqual(['b']);
  });

  it('forgets the router once a speaker was reached by round-robin', () => {
    // c routes to b; later b is reached by round-robin and hands back: to the first agent, not to c.
    expect(speakers(['1', '2', '[ROUTE:b]', '4', '5', '6', '[HANDBACK]'])).toEqual([
      'b',
      'c',
      'b',
      'c',
      'a',
      'b',
      'a',
    ]);
  });

  it('prefers a ROUTE over a HANDBACK in the same reply', () => {
    expect(speakers(['[ROUTE:c]', '[HANDBACK] [ROUTE:b]'])).toEqual(['c', 'b']);
  });

  it('ends on COMPLETE', () => {
    const decision = turn(start, { message: 'All done [COMPLETE]' });
    expect(decision.done).toEqual({ reason: 'completed' });
    expect(decision.next_speaker).toBeNull();
    expect(decision.state).toMatchObject({
      completed: true,
      ended_by: 'completed',
      next_speaker: null,
      turn: 1,
    });
  });

  it('ends at max_turns', () => {
    let state = start;
    const decisions: TurnDecision[] = [];
    for (let index = 0; index < 3; index += 1) {
      const decision = turn(state, { message: `turn ${index}` }, { max_turns: 3 });
      decisions.push(decision);
      state = decision.state;
    }
    expect(decisions.map((decision) => decision.done)).toEqual([null, null, { reason: 'max_turns' }]);
    expect(state).toMatchObject({ turn: 3, ended_by: 'max_turns', completed: false });
  });

  it('ends as stopped after the turn when a stop was requested', () => {
    const decision = turn(requestStop(start), { message: 'still talking [ROUTE:b]' });
    expect(decision.done).toEqual({ reason: 'stopped' });
    expect(decision.append).toHaveLength(1);
  });

  it('lets COMPLETE win over a stop request and the turn limit', () => {
    expect(turn(requestStop(start), { message: '[COMPLETE]' }, { max_turns: 1 }).done).toEqual({
      reason: 'completed',
    });
    expect(turn(requestStop(start), { message: 'x' }, { max_turns: 1 }).done).toEqual({ reason: 'stopped' });
  });

  it('appends the reply to the transcript with its position and turn', () => {
    const first = turn(start, { message: 'hello', output: { draft: 1 } });
    expect(first.append).toEqual([
      { index: 0, turn: 1, kind: 'agent', from: 'a', message: 'hello', output: { draft: 1 } },
    ]);
    const second = turn(first.state, { message: 'hi' });
    expect(second.append).toEqual([{ index: 1, turn: 2, kind: 'agent', from: 'b', message: 'hi' }]);
    expect(second.state).toMatchObject({ transcript_length: 2, last_speaker: 'b', turn: 2 });
  });

  it('adds posted messages to the transcript after the reply, queued ones first', () => {
    const queued = receiveMessages(start, [{ from: 'user:alice', message: 'consider costs' }]);
    expect(queued.pending_messages).toHaveLength(1);
    const decision = turn(
      queued,
      { message: 'draft' },
      { posted: [{ from: 'agent:x', message: 'and risks' }] },
    );
    expect(decision.append.map((entry) => [entry.index, entry.kind, entry.from, entry.message])).toEqual([
      [0, 'agent', 'a', 'draft'],
      [1, 'posted', 'user:alice', 'consider costs'],
      [2, 'posted', 'agent:x', 'and risks'],
    ]);
    expect(decision.state.pending_messages).toEqual([]);
    expect(decision.state.transcript_length).toBe(3);
  });

  it('gives the next turn to the participant a posted message addresses', () => {
    const decision = turn(
      start,
      { message: '[ROUTE:b]' },
      { posted: [{ from: 'user:alice', message: 'c?', to: 'c' }] },
    );
    expect(decision.next_speaker).toBe('c');
    expect(decision.append[1]).toMatchObject({ kind: 'posted', to: 'c' });
  });

  it('ignores a posted message addressed to a non-participant', () => {
    const decision = turn(
      start,
      { message: 'x' },
      { posted: [{ from: 'user:alice', message: 'hi', to: 'zed' }] },
    );
    expect(decision.next_speaker).toBe('b');
  });

  it('counts a turn without a reply and moves on round-robin', () => {
    const decision = turn(start, null);
    expect(decision.append).toEqual([]);
    expect(decision.next_speaker).toBe('b');
    expect(decision.state).toMatchObject({ turn: 1, last_speaker: 'a' });
  });

  it('does not change the state it was given', () => {
    const frozen = structuredClone(start);
    turn(start, { message: '[ROUTE:c]' });
    expect(start).toEqual(frozen);
  });
});

describe('continueAsNew', () => {
  it('continues as new after turns_per_execution turns in this execution', () => {
    let state = start;
    const answers: boolean[] = [];
    for (let index = 0; index < 3; index += 1) {
      state = turn(state, { message: 'x' }).state;
      answers.push(shouldContinueAsNew(state, 2));
    }
    expect(answers).toEqual([false, true, true]);
    const fresh = continueAsNewState(state);
    expect(fresh).toMatchObject({ turn: 3, execution_turns: 0 });
    expect(shouldContinueAsNew(fresh, 2)).toBe(false);
  });

  it('never continues a run that has ended', () => {
    const ended = turn(start, { message: '[COMPLETE]' }).state;
    expect(shouldContinueAsNew(ended, 1)).toBe(false);
  });
});
