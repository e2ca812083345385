/**
 * Transcripts: the conversation log of collaborative orchestrations (claim-checked
 * out of Durable history). Port only; adapters hold the data.
 */
export type { TranscriptEntry, TranscriptStore } from './transcript-store';
