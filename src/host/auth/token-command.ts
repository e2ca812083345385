import { parseArgs } from 'node:util';
import { detectHostKind } from '../../kernel/environment';
import { isKernelError } from '../../kernel/errors';
import { LocalIssuerNotAllowedError, parseTokenTtl } from '../../kernel/auth/tokens';
import type { LocalTokenRequest } from '../../kernel/auth/tokens';
import { localIssuerKeyPath, openLocalIssuer } from './local-issuer-store';

/**
 * `aos token`: prints a bearer token from the local issuer, for calling a locally
 * running kernel with curl. The token goes to stdout alone (so `TOKEN=$(aos token …)`
 * works); what it is goes to stderr.
 */

export const tokenCommandUsage = `  aos token --sub NAME [--name TEXT] [--roles r1,r2] [--scopes s1,s2] [--app APP]
            [--kind user|app] [--ttl 1h]
      Print a bearer token signed by the local issuer (key in .aos/local-issuer.json;
      local development only). --ttl takes 30m, 1h, 7d and the like, at most 30d.
`;

interface Writable {
  write(text: string): unknown;
}

export interface TokenCommandOptions {
  readonly projectRoot: string;
  /** Decides the host kind; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
}

class TokenUsageError extends Error {}

function list(value: string | undefined): string[] | undefined {
  return value === undefined
    ? undefined
    : value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
}

function requestFrom(argv: readonly string[]): LocalTokenRequest | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        sub: { type: 'string' },
        name: { type: 'string' },
        roles: { type: 'string' },
        scopes: { type: 'string' },
        app: { type: 'string' },
        kind: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new TokenUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return 'help';
  if (values.sub === undefined) throw new TokenUsageError('--sub is required');
  const kind = values.kind;
  if (kind !== undefined && kind !== 'user' && kind !== 'app') {
    throw new TokenUsageError(`--kind must be 'user' or 'app', got '${kind}'`);
  }
  let ttlSeconds: number | undefined;
  if (values.ttl !== undefined) {
    try {
      ttlSeconds = parseTokenTtl(values.ttl);
    } catch {
      throw new TokenUsageError(
        `--ttl must be a duration like 30m, 1h or 7d, at most 30d; got '${values.ttl}'`,
      );
    }
  }
  const roles = list(values.roles);
  const scopes = list(values.scopes);
  return {
    sub: values.sub,
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(roles === undefined ? {} : { roles }),
    ...(scopes === undefined ? {} : { scopes }),
    ...(values.app === undefined ? {} : { app: values.app }),
    ...(kind === undefined ? {} : { kind }),
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
  };
}

/**
 * Runs `aos token` with the arguments after `token`. Returns the exit code: 0 with a
 * token printed, 2 for bad arguments, 1 when the local issuer is refused (in Azure).
 */
export async function runTokenCommand(
  argv: readonly string[],
  options: TokenCommandOptions,
): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let request: LocalTokenRequest | 'help';
  try {
    request = requestFrom(argv);
  } catch (error) {
    if (!(error instanceof TokenUsageError)) throw error;
    stderr.write(`aos token: ${error.message}\n\nUsage:\n${tokenCommandUsage}`);
    return 2;
  }
  if (request === 'help') {
    stdout.write(`Usage:\n${tokenCommandUsage}`);
    return 0;
  }
  try {
    const issuer = await openLocalIssuer({
      projectRoot: options.projectRoot,
      hostKind: detectHostKind(options.env ?? process.env),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    const issued = await issuer.issue(request);
    stdout.write(`${issued.token}\n`);
    stderr.write(
      `Token for '${request.sub}' from ${issuer.issuer} (aud ${issuer.audience}), expires ${issued.expires_at}; ` +
        `key ${localIssuerKeyPath(options.projectRoot)}.\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof LocalIssuerNotAllowedError) {
      stderr.write(`aos token: ${error.message}\n`);
      return 1;
    }
    if (isKernelError(error) && error.code === 'validation_failed') {
      const details = (error.errors ?? []).map(
        (field) => `--${field.field || 'arguments'}: ${field.message}`,
      );
      stderr.write(
        `aos token: ${details.join('; ') || (error.detail ?? error.message)}\n\nUsage:\n${tokenCommandUsage}`,
      );
      return 2;
    }
    throw error;
  }
}
