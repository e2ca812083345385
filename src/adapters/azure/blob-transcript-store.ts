import type { ContainerClient } from '@azure/storage-blob';
import { RestError } from '@azure/storage-blob';
import type { TranscriptEntry, TranscriptStore } from '../../kernel/transcripts';

/**
 * Transcripts as append blobs, one JSON line per entry: appends are cheap and
 * atomic per block, and the log never enters Durable history.
 */
export class BlobTranscriptStore implements TranscriptStore {
  #ready: Promise<void> | undefined;

  constructor(private readonly container: ContainerClient) {}

  private ready(): Promise<void> {
    this.#ready ??= this.container.createIfNotExists().then(() => undefined);
    return this.#ready;
  }

  private blob(orchestrationId: string) {
    return this.container.getAppendBlobClient(`${encodeURIComponent(orchestrationId)}.jsonl`);
  }

  async append(orchestrationId: string, entries: readonly TranscriptEntry[]): Promise<number> {
    await this.ready();
    const blob = this.blob(orchestrationId);
    await blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: 'application/x-ndjson' } });
    if (entries.length > 0) {
      const text = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
      await blob.appendBlock(text, Buffer.byteLength(text));
    }
    return this.length(orchestrationId);
  }

  private async all(orchestrationId: string): Promise<TranscriptEntry[]> {
    await this.ready();
    try {
      const buffer = await this.blob(orchestrationId).downloadToBuffer();
      return buffer
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as TranscriptEntry);
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return [];
      throw error;
    }
  }

  async read(
    orchestrationId: string,
    options: { from?: number; limit?: number } = {},
  ): Promise<TranscriptEntry[]> {
    const all = await this.all(orchestrationId);
    const from = options.from ?? 0;
    return all.slice(from, options.limit === undefined ? undefined : from + options.limit);
  }

  async length(orchestrationId: string): Promise<number> {
    return (await this.all(orchestrationId)).length;
  }
}
