/**
 * Storage connection settings in the two forms the Functions host accepts: a
 * connection string, or identity-based `<Name>__accountName` / `__<service>ServiceUri`
 * (+ `__credential`, `__clientId`). Pure parsing; the Azure adapters build clients.
 */

/** Azurite's well-known development account (public, documented by Microsoft). */
export const developmentStorageAccount = {
  name: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
} as const;

export interface AzuritePorts {
  readonly blob: number;
  readonly queue: number;
  readonly table: number;
}

export const defaultAzuritePorts: AzuritePorts = { blob: 10000, queue: 10001, table: 10002 };

export function azuriteConnectionString(
  ports: AzuritePorts = defaultAzuritePorts,
  host = '127.0.0.1',
): string {
  const { name, key } = developmentStorageAccount;
  return (
    [
      'DefaultEndpointsProtocol=http',
      `AccountName=${name}`,
      `AccountKey=${key}`,
      `BlobEndpoint=http://${host}:${ports.blob}/${name}`,
      `QueueEndpoint=http://${host}:${ports.queue}/${name}`,
      `TableEndpoint=http://${host}:${ports.table}/${name}`,
    ].join(';') + ';'
  );
}

export type StorageConnection =
  | {
      readonly kind: 'connectionString';
      /** Always a full connection string: `UseDevelopmentStorage=true` is expanded. */
      readonly connectionString: string;
      readonly blobEndpoint: string;
      readonly tableEndpoint: string;
      readonly queueEndpoint: string;
      /** Plain HTTP endpoints (Azurite): table clients must allow insecure connections. */
      readonly insecure: boolean;
    }
  | {
      readonly kind: 'identity';
      readonly blobEndpoint: string;
      readonly tableEndpoint: string;
      readonly queueEndpoint: string;
      readonly clientId?: string;
    };

export class StorageConnectionError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

function parseConnectionStringParts(value: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const segment of value.split(';')) {
    const trimmed = segment.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    parts.set(trimmed.slice(0, eq).toLowerCase(), trimmed.slice(eq + 1));
  }
  return parts;
}

function endpointFor(parts: Map<string, string>, service: 'blob' | 'table' | 'queue'): string | undefined {
  const explicit = parts.get(`${service}endpoint`);
  if (explicit) return explicit.replace(/\/+$/, '');
  const account = parts.get('accountname');
  if (!account) return undefined;
  const protocol = parts.get('defaultendpointsprotocol') ?? 'https';
  const suffix = parts.get('endpointsuffix') ?? 'core.windows.net';
  return `${protocol}://${account}.${service}.${suffix}`;
}

export function parseStorageConnection(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
): StorageConnection {
  const raw = env[name]?.trim();
  if (raw) {
    const connectionString = /^usedevelopmentstorage=true;?$/i.test(raw) ? azuriteConnectionString() : raw;
    const parts = parseConnectionStringParts(connectionString);
    const blobEndpoint = endpointFor(parts, 'blob');
    const tableEndpoint = endpointFor(parts, 'table');
    const queueEndpoint = endpointFor(parts, 'queue');
    if (!blobEndpoint || !tableEndpoint || !queueEndpoint) {
      throw new StorageConnectionError(
        name,
        'is not a storage connection string (expected AccountName=… or BlobEndpoint=…/TableEndpoint=…)',
      );
    }
    if (!parts.get('accountkey') && !parts.get('sharedaccesssignature')) {
      throw new StorageConnectionError(name, 'has neither AccountKey nor SharedAccessSignature');
    }
    return {
      kind: 'connectionString',
      connectionString,
      blobEndpoint,
      tableEndpoint,
      queueEndpoint,
      insecure: [blobEndpoint, tableEndpoint, queueEndpoint].some((e) => e.startsWith('http:')),
    };
  }
  const account = env[`${name}__accountName`]?.trim();
  const serviceUri = (service: string) => env[`${name}__${service}ServiceUri`]?.trim().replace(/\/+$/, '');
  const blobEndpoint =
    serviceUri('blob') ?? (account ? `https://${account}.blob.core.windows.net` : undefined);
  const tableEndpoint =
    serviceUri('table') ?? (account ? `https://${account}.table.core.windows.net` : undefined);
  const queueEndpoint =
    serviceUri('queue') ?? (account ? `https://${account}.queue.core.windows.net` : undefined);
  if (!blobEndpoint || !tableEndpoint || !queueEndpoint) {
    throw new StorageConnectionError(
      name,
      `is required: set ${name} (a connection string) or ${name}__accountName (identity-based)`,
    );
  }
  const clientId = env[`${name}__clientId`]?.trim();
  return { kind: 'identity', blobEndpoint, tableEndpoint, queueEndpoint, ...(clientId ? { clientId } : {}) };
}
