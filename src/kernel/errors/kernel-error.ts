/**
 * The kernel's one error type. Every failure the kernel reports to a caller is a
 * KernelError with a string code; the HTTP layer maps codes to statuses in one
 * place (problem.ts), so no function invents its own error shape.
 */

export const kernelErrorCodes = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
  timeout: 504,
} as const;

export type KernelErrorCode = keyof typeof kernelErrorCodes;

/** Where a faulty field was found. */
export type FieldLocation = 'body' | 'query' | 'path' | 'header' | 'message' | 'argument' | 'setting';

export interface FieldError {
  /** Dotted path of the field at fault, e.g. `agent_ids.0` or `purpose.purpose`. Empty for the whole value. */
  readonly field: string;
  readonly in: FieldLocation;
  readonly message: string;
  readonly code?: string;
}

export interface KernelErrorOptions {
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  /** Extra headers the HTTP answer must carry (e.g. `Allow`, `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra members for the problem body (RFC 9457 extension members). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

export class KernelError extends Error {
  override readonly name = 'KernelError';
  readonly code: KernelErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(code: KernelErrorCode, message: string, options: KernelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = kernelErrorCodes[code];
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }

  static notFound(what: string, detail?: string): KernelError {
    return new KernelError('not_found', `${what} not found`, detail === undefined ? {} : { detail });
  }

  static validation(errors: readonly FieldError[], detail?: string): KernelError {
    const first = errors[0];
    const summary =
      detail ??
      (first === undefined
        ? 'The request is not valid.'
        : `${first.field === '' ? first.in : `${first.in} field '${first.field}'`}: ${first.message}` +
          (errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''));
    return new KernelError('validation_failed', 'Validation failed', { detail: summary, errors });
  }
}

export function isKernelError(value: unknown): value is KernelError {
  return value instanceof KernelError;
}
