import type { AgentReply } from '../agents/types';
import { idPattern } from './request';

/**
 * Routing tags agents write in their messages to steer a collaborative run:
 * `[ROUTE:<agent_id>]` (who speaks next), `[HANDBACK]` (back to whoever routed to
 * me), `[COMPLETE]` (the work is done).
 *
 * - Tag names are case-insensitive; the agent id is exact, must be a valid id, and
 *   may have spaces around it (`[ROUTE: writer]`).
 * - The last ROUTE wins.
 * - Tags inside code (fenced blocks and inline `code` spans) are ignored: agents
 *   quoting or explaining the protocol must not trigger it.
 */

export interface RoutingTags {
  readonly route?: string;
  readonly complete: boolean;
  readonly handback: boolean;
}

const tagPattern = /\[\s*(ROUTE|COMPLETE|HANDBACK)\s*(?::\s*([^\]\s]*)\s*)?\]/gi;
const fencePattern = /^ {0,3}(`{3,}|~{3,})/;
const inlineCodePattern = /(?<!`)(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g;

/** The message with code blanked out (fenced blocks, then inline spans). */
export function withoutCode(message: string): string {
  const kept: string[] = [];
  let fence: string | null = null;
  for (const line of message.split(/\r?\n/)) {
    const marker = fencePattern.exec(line)?.[1];
    if (fence === null) {
      if (marker !== undefined) fence = marker;
      kept.push(marker === undefined ? line : '');
    } else {
      // A fence closes with at least as many of the same character and nothing else on the line.
      if (
        marker !== undefined &&
        marker[0] === fence[0] &&
        marker.length >= fence.length &&
        line.trim() === marker
      ) {
        fence = null;
      }
      kept.push('');
    }
  }
  return kept.join('\n').replace(inlineCodePattern, ' ');
}

export function parseRoutingTags(message: string): RoutingTags {
  let route: string | undefined;
  let complete = false;
  let handback = false;
  for (const match of withoutCode(message).matchAll(tagPattern)) {
    const name = match[1]?.toUpperCase();
    const argument = match[2];
    if (name === 'ROUTE') {
      if (argument !== undefined && idPattern.test(argument)) route = argument;
    } else if (argument === undefined) {
      if (name === 'COMPLETE') complete = true;
      else if (name === 'HANDBACK') handback = true;
    }
  }
  return { ...(route === undefined ? {} : { route }), complete, handback };
}

/**
 * Routing from a whole reply. `reply.route` (a tag, or a bare agent id) is the
 * agent's structured choice and wins over a ROUTE tag in its message; flags from
 * both count.
 */
export function routingFromReply(reply: AgentReply): RoutingTags {
  const fromMessage = parseRoutingTags(reply.message);
  const raw = reply.route?.trim();
  if (raw === undefined || raw === '') return fromMessage;
  const fromRoute: RoutingTags = raw.startsWith('[')
    ? parseRoutingTags(raw)
    : { complete: false, handback: false, ...(idPattern.test(raw) ? { route: raw } : {}) };
  const route = fromRoute.route ?? fromMessage.route;
  return {
    ...(route === undefined ? {} : { route }),
    complete: fromMessage.complete || fromRoute.complete,
    handback: fromMessage.handback || fromRoute.handback,
  };
}
