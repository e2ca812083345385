/**
 * What the kernel records about each orchestration beyond Durable's own state:
 * who submitted it, the request fingerprint (idempotency), and the flags the API
 * sets (stop requested). Durable holds the execution; this holds the request.
 */

export interface OrchestrationRecord {
  readonly orchestration_id: string;
  readonly fingerprint: string;
  readonly app_id: string | null;
  readonly workflow: string;
  readonly agent_ids: readonly string[];
  readonly purpose: { readonly purpose: string; readonly purpose_scope: string };
  readonly callback_url: string | null;
  readonly created_at: string;
  readonly stop_requested: boolean;
}

export interface OrchestrationListQuery {
  readonly app_id?: string | null;
  readonly agent_id?: string;
  readonly limit: number;
  /** Opaque token from a previous page. */
  readonly continuation?: string;
}

export interface OrchestrationStore {
  /** Creates the record unless one with that id exists; returns the stored one. */
  create(record: OrchestrationRecord): Promise<{ record: OrchestrationRecord; created: boolean }>;
  get(orchestrationId: string): Promise<OrchestrationRecord | undefined>;
  update(orchestrationId: string, patch: Partial<Pick<OrchestrationRecord, 'stop_requested'>>): Promise<void>;
  /** Newest first. */
  list(query: OrchestrationListQuery): Promise<{ records: OrchestrationRecord[]; continuation?: string }>;
}
