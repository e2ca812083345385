import type { TranscriptEntry, TranscriptStore } from '../../kernel/transcripts';

/** Transcripts in memory: unit tests and the embedded default. */
export class MemoryTranscriptStore implements TranscriptStore {
  #logs = new Map<string, TranscriptEntry[]>();

  async append(orchestrationId: string, entries: readonly TranscriptEntry[]): Promise<number> {
    const log = this.#logs.get(orchestrationId) ?? [];
    log.push(...entries);
    this.#logs.set(orchestrationId, log);
    return log.length;
  }

  async read(
    orchestrationId: string,
    options: { from?: number; limit?: number } = {},
  ): Promise<TranscriptEntry[]> {
    const log = this.#logs.get(orchestrationId) ?? [];
    const from = options.from ?? 0;
    return log.slice(from, options.limit === undefined ? undefined : from + options.limit);
  }

  async length(orchestrationId: string): Promise<number> {
    return this.#logs.get(orchestrationId)?.length ?? 0;
  }
}
