import type { AgentReply } from '../agents/types';
import { routingFromReply } from './routing';
import type { WorkflowPlan } from './types';

/**
 * Collaborative runs: agents take turns on a shared transcript until one of them
 * writes [COMPLETE], a stop is requested, or max_turns is reached. The orchestrator
 * keeps the transcript itself out of history (claim-check); this state only counts
 * it. The loop is: speaker = state.next_speaker → call it → nextTurn → append
 * `append` to the transcript → repeat (continueAsNew when shouldContinueAsNew).
 *
 * Who speaks next, first match wins:
 * 1. a message posted into the orchestration addressed (`to`) to a participant
 *    (the last such message): people steering the conversation outrank agents;
 * 2. a ROUTE to a participant (`reply.route`, else the last [ROUTE:…] tag);
 *    a route to an unknown agent is ignored;
 * 3. HANDBACK: the agent who routed to the current speaker, or the first agent
 *    when nobody did (unless that is the current speaker itself);
 * 4. round-robin in agent_ids order.
 * The run ends first on [COMPLETE], then on a stop request, then on max_turns.
 */

export type CollaborativeEnd = 'completed' | 'stopped' | 'max_turns';

/** A message posted into a running orchestration (by a person or another agent, via the API). */
export interface PostedMessage {
  readonly from: string;
  readonly message: string;
  /** A participant this message is for: that agent speaks next. */
  readonly to?: string;
}

export interface TranscriptEntry {
  /** Position in the whole transcript (0-based, across executions). */
  readonly index: number;
  /** The turn this entry belongs to (posted messages: the turn they arrived during). */
  readonly turn: number;
  readonly kind: 'agent' | 'posted';
  readonly from: string;
  readonly message: string;
  readonly output?: unknown;
  readonly to?: string;
}

export interface CollaborativeState {
  /** Turns taken so far, across executions. */
  readonly turn: number;
  /** Turns taken in this durable execution (reset by continueAsNewState). */
  readonly execution_turns: number;
  readonly transcript_length: number;
  readonly last_speaker: string | null;
  /** Who speaks in the coming turn; null once the run has ended. */
  readonly next_speaker: string | null;
  /** Posted messages received but not yet in the transcript (carried across continueAsNew). */
  readonly pending_messages: readonly PostedMessage[];
  /** True when an agent ended the run with [COMPLETE]. */
  readonly completed: boolean;
  readonly stop_requested: boolean;
  /** For HANDBACK: agent → the agent that routed to it. */
  readonly routed_by: Readonly<Record<string, string>>;
  readonly ended_by: CollaborativeEnd | null;
}

export interface TurnInput {
  /** The participants, in round-robin order (the plan's agent_ids). */
  readonly agents: readonly string[];
  /** The current speaker's reply; null when the turn produced none (the call failed). */
  readonly reply: AgentReply | null;
  /** Messages posted during the turn; they join the transcript after the reply. */
  readonly posted?: readonly PostedMessage[];
  readonly max_turns: number;
}

export type TurnDecision =
  | {
      readonly next_speaker: string;
      readonly done: null;
      readonly state: CollaborativeState;
      /** Entries to append to the transcript, in order. */
      readonly append: readonly TranscriptEntry[];
    }
  | {
      readonly next_speaker: null;
      readonly done: { readonly reason: CollaborativeEnd };
      readonly state: CollaborativeState;
      readonly append: readonly TranscriptEntry[];
    };

export function initialCollaborativeState(plan: Pick<WorkflowPlan, 'agent_ids'>): CollaborativeState {
  return {
    turn: 0,
    execution_turns: 0,
    transcript_length: 0,
    last_speaker: null,
    next_speaker: plan.agent_ids[0] ?? null,
    pending_messages: [],
    completed: false,
    stop_requested: false,
    routed_by: {},
    ended_by: null,
  };
}

/** Queues posted messages; they join the transcript after the current turn. */
export function receiveMessages(
  state: CollaborativeState,
  messages: readonly PostedMessage[],
): CollaborativeState {
  return { ...state, pending_messages: [...state.pending_messages, ...messages] };
}

/** A graceful stop: the current turn finishes, then the run ends as 'stopped'. */
export function requestStop(state: CollaborativeState): CollaborativeState {
  return { ...state, stop_requested: true };
}

function roundRobin(agents: readonly string[], current: string): string {
  const index = agents.indexOf(current);
  return agents[(index + 1) % agents.length] ?? current;
}

function withoutKey(record: Readonly<Record<string, string>>, key: string): Record<string, string> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

/** Decides what follows the turn the current speaker (state.next_speaker) just took. */
export function nextTurn(state: CollaborativeState, input: TurnInput): TurnDecision {
  const { agents, reply, max_turns: maxTurns } = input;
  const speaker = state.next_speaker ?? agents[0] ?? '';
  const turn = state.turn + 1;

  const append: TranscriptEntry[] = [];
  const add = (entry: Omit<TranscriptEntry, 'index' | 'turn'>): void => {
    append.push({ index: state.transcript_length + append.length, turn, ...entry });
  };
  if (reply !== null) {
    add({
      kind: 'agent',
      from: speaker,
      message: reply.message,
      ...(reply.output === undefined ? {} : { output: reply.output }),
    });
  }
  const posted = [...state.pending_messages, ...(input.posted ?? [])];
  for (const message of posted) {
    add({
      kind: 'posted',
      from: message.from,
      message: message.message,
      ...(message.to === undefined ? {} : { to: message.to }),
    });
  }

  const base = {
    ...state,
    turn,
    execution_turns: state.execution_turns + 1,
    transcript_length: state.transcript_length + append.length,
    last_speaker: speaker,
    pending_messages: [],
  };
  const tags = reply === null ? { complete: false, handback: false } : routingFromReply(reply);

  const end: CollaborativeEnd | null = tags.complete
    ? 'completed'
    : state.stop_requested
      ? 'stopped'
      : turn >= maxTurns
        ? 'max_turns'
        : null;
  if (end !== null) {
    return {
      next_speaker: null,
      done: { reason: end },
      state: { ...base, next_speaker: null, completed: end === 'completed', ended_by: end },
      append,
    };
  }

  const participates = (agentId: string | undefined): agentId is string =>
    agentId !== undefined && agents.includes(agentId);
  const addressed = [...posted].reverse().find((message) => participates(message.to))?.to;
  const route = 'route' in tags ? tags.route : undefined;

  let next: string;
  let routedBy: Readonly<Record<string, string>>;
  if (addressed !== undefined) {
    next = addressed;
    routedBy = withoutKey(state.routed_by, next);
  } else if (participates(route)) {
    next = route;
    routedBy = next === speaker ? state.routed_by : { ...state.routed_by, [next]: speaker };
  } else {
    const handbackTo = tags.handback ? (state.routed_by[speaker] ?? agents[0]) : undefined;
    if (handbackTo !== undefined && handbackTo !== speaker && participates(handbackTo)) {
      // The handback target keeps its own router, so it can hand back in turn.
      next = handbackTo;
      routedBy = withoutKey(state.routed_by, speaker);
    } else {
      next = roundRobin(agents, speaker);
      routedBy = withoutKey(state.routed_by, next);
    }
  }

  return {
    next_speaker: next,
    done: null,
    state: { ...base, next_speaker: next, routed_by: routedBy },
    append,
  };
}

/** True when this execution has taken its share of turns and should continueAsNew. */
export function shouldContinueAsNew(state: CollaborativeState, turnsPerExecution: number): boolean {
  return state.ended_by === null && state.execution_turns >= turnsPerExecution;
}

/** The state to hand to continueAsNew: the same run, a fresh execution. */
export function continueAsNewState(state: CollaborativeState): CollaborativeState {
  return { ...state, execution_turns: 0 };
}
