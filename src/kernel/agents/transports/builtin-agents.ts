import { z } from 'zod';
import { agentIdSchema } from '../registration-schema';
import type { AgentReply, BuiltinAgent } from '../types';
import { TransportError } from '../types';

/**
 * The kernel's builtin agents: small and deterministic (same input and config,
 * same reply), for local runs, demos and tests. Their behaviour is part of the
 * agent author's reference (docs/agent-protocol.md, "Builtin agents").
 */

const completeTag = '[COMPLETE]';
const routeTag = (agentId: string) => `[ROUTE:${agentId}]`;

/** The text an agent reads from its input: a string, `{message}`, or a transcript's last turn. */
export function inputText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input === undefined || input === null) return '';
  if (typeof input === 'object' && !Array.isArray(input)) {
    const { message, transcript } = input as { message?: unknown; transcript?: unknown };
    if (typeof message === 'string') return message;
    if (Array.isArray(transcript)) {
      const turns = transcriptTurns(transcript);
      return turns[turns.length - 1]?.message ?? '';
    }
  }
  return JSON.stringify(input) ?? '';
}

function configOf<T>(schema: z.ZodType<T>, config: unknown, builtin: string): T {
  const parsed = schema.safeParse(config);
  if (!parsed.success) {
    throw new TransportError(`builtin agent '${builtin}' has an invalid config`, false, undefined, {
      code: 'invalid_config',
    });
  }
  return parsed.data;
}

/**
 * echo: replies with its input text (see inputText: a string as is, the `message`
 * field, a transcript's last message, else JSON). `output` is the input unchanged.
 * Reading the last message rather than the whole transcript keeps a conversation
 * of echoes from growing turn after turn.
 */
export const echoAgent: BuiltinAgent = {
  name: 'echo',
  description:
    "Replies with its input text (a string, its `message`, or the transcript's last message; JSON otherwise), output = input.",
  handle({ task }): AgentReply {
    const message = inputText(task.input);
    return { message, ...(task.input === undefined ? {} : { output: task.input }) };
  },
};

const keyword = z.string().trim().min(1).max(128);

export const routerConfigSchema = z.looseObject({
  /** keyword → agent id. */
  routes: z.record(keyword, agentIdSchema).default({}),
  /** Any of these in the input ends the work with [COMPLETE]. */
  complete_on: z.union([keyword, z.array(keyword).max(50)]).optional(),
  /** Where to route when no keyword matches; without it the router replies with no tag. */
  default_route: agentIdSchema.optional(),
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where a keyword first occurs as a whole word, case-insensitively; -1 if nowhere. */
function wordIndex(text: string, word: string): number {
  const match = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(word)}(?![\\p{L}\\p{N}])`, 'iu').exec(text);
  return match === null ? -1 : match.index;
}

/**
 * router: reads the input text (see inputText) and
 * - if any `config.complete_on` keyword occurs → message `… [COMPLETE]`, route `[COMPLETE]`;
 * - else routes to the agent of the keyword of `config.routes` that occurs first in
 *   the text (a tie goes to the longer keyword) → message `… [ROUTE:<id>]`, route `<id>`;
 * - else to `config.default_route` if set, or replies without a tag.
 * Keywords match whole words, ignoring case. `output` is `{matched, route}`.
 */
export const routerAgent: BuiltinAgent = {
  name: 'router',
  description:
    'Routes by keyword: [ROUTE:<agent_id>] for the first keyword of config.routes in the input, [COMPLETE] on config.complete_on.',
  configSchema: routerConfigSchema,
  handle({ agent, task }): AgentReply {
    const config = configOf(routerConfigSchema, agent.config, 'router');
    const text = inputText(task.input);
    const completeOn = config.complete_on === undefined ? [] : [config.complete_on].flat();
    const completing = completeOn.find((word) => wordIndex(text, word) >= 0);
    if (completing !== undefined) {
      return {
        message: `Found '${completing}': the work is complete. ${completeTag}`,
        output: { matched: completing, route: completeTag },
        route: completeTag,
      };
    }
    let best: { word: string; agentId: string; index: number } | undefined;
    for (const [word, agentId] of Object.entries(config.routes)) {
      const index = wordIndex(text, word);
      if (index < 0) continue;
      if (
        best === undefined ||
        index < best.index ||
        (index === best.index && word.length > best.word.length)
      ) {
        best = { word, agentId, index };
      }
    }
    const target = best?.agentId ?? config.default_route;
    if (target === undefined) {
      return { message: 'No route matched.', output: { matched: null, route: null } };
    }
    return {
      message:
        best === undefined
          ? `No keyword matched; routing to ${target}. ${routeTag(target)}`
          : `Found '${best.word}'; routing to ${target}. ${routeTag(target)}`,
      output: { matched: best?.word ?? null, route: target },
      route: target,
    };
  },
};

export const summariserConfigSchema = z.looseObject({
  /** End the summary with [COMPLETE]. */
  complete: z.boolean().default(false),
  /** Longest summary, in characters (the tag not counted). */
  max_chars: z.int().min(40).max(20_000).default(1_000),
  /** Longest line per turn, in characters. */
  max_turn_chars: z.int().min(20).max(2_000).default(200),
});

interface Turn {
  readonly agent_id: string | undefined;
  readonly message: string;
}

function transcriptTurns(transcript: readonly unknown[]): Turn[] {
  const turns: Turn[] = [];
  for (const entry of transcript) {
    if (typeof entry === 'string') turns.push({ agent_id: undefined, message: entry });
    else if (typeof entry === 'object' && entry !== null) {
      // `from` is how the kernel's own transcript entries name the speaker.
      const { agent_id, from, message } = entry as { agent_id?: unknown; from?: unknown; message?: unknown };
      const speaker = typeof agent_id === 'string' ? agent_id : typeof from === 'string' ? from : undefined;
      if (typeof message === 'string') turns.push({ agent_id: speaker, message });
    }
  }
  return turns;
}

/** Up to the first `.`, `!` or `?` followed by a space or the end, with spaces collapsed. */
export function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const end = /[.!?](?=\s|$)/.exec(flat);
  return end === null ? flat : flat.slice(0, end.index + 1);
}

function cap(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/**
 * summariser: condenses a transcript. The input is `{transcript: [{agent_id, message}]}`
 * (`from` is read when there is no `agent_id`; entries without a string message are
 * skipped) or a string (each non-empty line
 * is a turn). The summary is one line per turn, `- <agent_id>: <first sentence>`,
 * each capped at `config.max_turn_chars`, the whole at `config.max_chars`; it ends
 * with ` [COMPLETE]` when `config.complete` is true. `output` is `{turns, summary}`.
 */
export const summariserAgent: BuiltinAgent = {
  name: 'summariser',
  description:
    'Summarises a transcript: the first sentence of each turn, capped; ends with [COMPLETE] if config.complete.',
  configSchema: summariserConfigSchema,
  handle({ agent, task }): AgentReply {
    const config = configOf(summariserConfigSchema, agent.config, 'summariser');
    const input = task.input;
    let turns: Turn[];
    if (typeof input === 'string') {
      turns = input
        .split(/\r?\n/)
        .filter((line) => line.trim() !== '')
        .map((line) => ({ agent_id: undefined, message: line }));
    } else if (
      typeof input === 'object' &&
      input !== null &&
      Array.isArray((input as { transcript?: unknown }).transcript)
    ) {
      turns = transcriptTurns((input as { transcript: unknown[] }).transcript);
    } else {
      const text = inputText(input);
      turns = text === '' ? [] : [{ agent_id: undefined, message: text }];
    }
    const lines = turns
      .map((turn) => ({ turn, sentence: firstSentence(turn.message) }))
      .filter(({ sentence }) => sentence !== '')
      .map(({ turn, sentence }) =>
        cap(
          turn.agent_id === undefined ? `- ${sentence}` : `- ${turn.agent_id}: ${sentence}`,
          config.max_turn_chars,
        ),
      );
    const heading = `Summary of ${turns.length} ${turns.length === 1 ? 'turn' : 'turns'}:`;
    const summary = cap(
      lines.length === 0 ? 'Nothing to summarise.' : [heading, ...lines].join('\n'),
      config.max_chars,
    );
    return {
      message: config.complete ? `${summary} ${completeTag}` : summary,
      output: { turns: turns.length, summary },
      ...(config.complete ? { route: completeTag } : {}),
    };
  },
};

export const coreBuiltinAgents: readonly BuiltinAgent[] = [echoAgent, routerAgent, summariserAgent];
