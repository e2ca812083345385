import { createHash } from 'node:crypto';
import type { AuditEntry, AuditEvent, ChainHead } from './types';

/**
 * The hash chain, as pure functions. An entry's hash is SHA-256 over the previous
 * entry's hash and the entry's canonical JSON (keys sorted, no whitespace, the
 * `hash` field left out), so:
 * - editing any field of an entry changes its hash, and its successor's
 *   `previous_hash` no longer matches;
 * - removing an entry leaves a gap in `sequence` and a broken link;
 * - removing the newest entries is caught against the stored head.
 *
 * The chain makes tampering evident, not impossible: someone who can rewrite the
 * whole table can recompute every hash. Anchoring the head elsewhere (an export,
 * a signed checkpoint) is what closes that; see docs/security.md.
 */

export const genesisHash = '0'.repeat(64);

/** JSON with object keys in code-point order at every depth; `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    // undefined, functions and symbols have no JSON; inside arrays JSON uses null.
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const members = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${members.join(',')}}`;
}

/** The hash an entry must carry, computed from every field but `hash` itself. */
export function entryHash(entry: Omit<AuditEntry, 'hash'> & { readonly hash?: string }): string {
  const { hash: _ignored, ...sealed } = entry;
  return createHash('sha256')
    .update(`${entry.previous_hash}\n${canonicalJson(sealed)}`)
    .digest('hex');
}

/** Seals an event onto the chain after `head` (null: the chain is empty). */
export function sealEntry(
  event: AuditEvent,
  head: ChainHead | null,
  assigned: { readonly id: string; readonly timestamp: string },
): AuditEntry {
  const unsealed = {
    id: assigned.id,
    timestamp: assigned.timestamp,
    sequence: (head?.sequence ?? 0) + 1,
    previous_hash: head?.hash ?? genesisHash,
    event_type: event.event_type,
    subject_id: event.subject_id,
    subject_type: event.subject_type,
    action: event.action,
    severity: event.severity,
    target: event.target,
    context: event.context,
    app_id: event.app_id,
  };
  return { ...unsealed, hash: entryHash(unsealed) };
}

/** Seals events in order after `head`, each linked to the one before: one batch of appends. */
export function sealEntries(
  events: readonly { readonly event: AuditEvent; readonly id: string; readonly timestamp: string }[],
  head: ChainHead | null,
): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let previous = head;
  for (const { event, id, timestamp } of events) {
    const entry = sealEntry(event, previous, { id, timestamp });
    entries.push(entry);
    previous = { sequence: entry.sequence, hash: entry.hash };
  }
  return entries;
}

export type ChainBreak =
  'hash_mismatch' | 'previous_hash_mismatch' | 'sequence_gap' | 'head_mismatch' | 'missing_entries';

export interface ChainVerification {
  readonly valid: boolean;
  /**
   * From AuditTrail.verify: whether the whole range asked for was checked (false
   * when one call's limit cut it short; continue from next_from_sequence).
   */
  readonly complete?: boolean;
  /** Entries whose hash and link were checked. */
  readonly checked: number;
  readonly first_sequence: number | null;
  readonly last_sequence: number | null;
  /** The first problem found, when not valid. */
  readonly broken?: { readonly sequence: number; readonly reason: ChainBreak };
  /** When the range asked for was longer than one call checks: where to continue. */
  readonly next_from_sequence?: number;
}

/**
 * Walks the chain incrementally: feed entries in ascending sequence order (in as
 * many slices as convenient), then `finish` against the stored head.
 */
export class ChainVerifier {
  private checked = 0;
  private first: number | null = null;
  private last: ChainHead | null;
  private broken: { sequence: number; reason: ChainBreak } | undefined;

  /**
   * @param before the entry just before the first one fed (null when starting at
   *   sequence 1, whose previous hash must be the genesis hash).
   */
  constructor(before: ChainHead | null) {
    this.last = before;
  }

  get ok(): boolean {
    return this.broken === undefined;
  }

  feed(entries: readonly AuditEntry[]): void {
    for (const entry of entries) {
      if (this.broken) return;
      const expectedSequence = (this.last?.sequence ?? 0) + 1;
      if (entry.sequence !== expectedSequence) {
        this.broken = { sequence: expectedSequence, reason: 'sequence_gap' };
        return;
      }
      if (entry.previous_hash !== (this.last?.hash ?? genesisHash)) {
        this.broken = { sequence: entry.sequence, reason: 'previous_hash_mismatch' };
        return;
      }
      if (entryHash(entry) !== entry.hash) {
        this.broken = { sequence: entry.sequence, reason: 'hash_mismatch' };
        return;
      }
      this.first ??= entry.sequence;
      this.checked += 1;
      this.last = { sequence: entry.sequence, hash: entry.hash };
    }
  }

  /**
   * The verdict. `head` (the stored head, when the walk was meant to reach it)
   * also catches entries removed from the end; `{ through }` checks only that
   * the walk got to that sequence.
   */
  finish(end?: ChainHead | { readonly through: number } | null): ChainVerification {
    const last = this.last?.sequence ?? 0;
    if (!this.broken && end !== undefined && end !== null) {
      const target = 'through' in end ? end.through : end.sequence;
      if (last < target) this.broken = { sequence: last + 1, reason: 'missing_entries' };
      else if ('hash' in end && this.last?.hash !== end.hash) {
        this.broken = { sequence: last, reason: 'head_mismatch' };
      }
    }
    return {
      valid: this.broken === undefined,
      checked: this.checked,
      first_sequence: this.first,
      last_sequence: this.checked === 0 ? null : (this.last?.sequence ?? null),
      ...(this.broken ? { broken: this.broken } : {}),
    };
  }
}

/** Verifies a whole slice at once (tests, small trails). */
export function verifyChain(
  entries: readonly AuditEntry[],
  options: { readonly before?: ChainHead | null; readonly head?: ChainHead | null } = {},
): ChainVerification {
  const verifier = new ChainVerifier(options.before ?? null);
  verifier.feed(entries);
  return verifier.finish(options.head);
}
