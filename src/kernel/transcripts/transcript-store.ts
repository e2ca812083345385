/**
 * Transcripts of collaborative orchestrations live outside Durable history (which
 * stays small and bounded): an append-only log per orchestration.
 */

export interface TranscriptEntry {
  readonly turn: number;
  /** The agent that spoke, or `user:<name>` for messages posted into the orchestration. */
  readonly speaker: string;
  readonly message: string;
  readonly output?: unknown;
  readonly at: string;
}

export interface TranscriptStore {
  append(orchestrationId: string, entries: readonly TranscriptEntry[]): Promise<number>;
  /** Entries from index `from` on (0-based), at most `limit`. */
  read(orchestrationId: string, options?: { from?: number; limit?: number }): Promise<TranscriptEntry[]>;
  length(orchestrationId: string): Promise<number>;
}
