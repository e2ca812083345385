import type { ZodError } from 'zod';
import type { FieldError, FieldLocation } from './kernel-error';
import { KernelError, isKernelError } from './kernel-error';

/**
 * RFC 9457 problem details. This is the only error body the kernel sends; the
 * mapping from thrown values to problems lives here and nowhere else.
 */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly code: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

export const problemContentType = 'application/problem+json';

export function problemType(code: string): string {
  return `urn:aos-kernel:problem:${code.replace(/_/g, '-')}`;
}

export interface ProblemResult {
  readonly problem: Problem;
  readonly headers: Readonly<Record<string, string>>;
  /** True when the failure is the kernel's fault rather than the caller's; such errors get logged. */
  readonly internal: boolean;
}

/**
 * Turns anything thrown into a problem. Unknown errors become a bare 500 whose body
 * says nothing about the cause: stack traces and messages of unexpected errors may
 * carry secrets, so they go to the log, not to the caller.
 */
export function toProblem(error: unknown, instance?: string): ProblemResult {
  const kernelError = isKernelError(error) ? error : undefined;
  if (kernelError === undefined) {
    return {
      problem: {
        type: problemType('internal'),
        title: 'Internal error',
        status: 500,
        code: 'internal',
        detail: 'The kernel failed to handle this request. The failure has been logged.',
        ...(instance === undefined ? {} : { instance }),
      },
      headers: {},
      internal: true,
    };
  }
  const problem: Problem = {
    ...kernelError.extensions,
    type: problemType(kernelError.code),
    title: kernelError.message,
    status: kernelError.status,
    code: kernelError.code,
    ...(kernelError.detail === undefined ? {} : { detail: kernelError.detail }),
    ...(instance === undefined ? {} : { instance }),
    ...(kernelError.errors === undefined ? {} : { errors: kernelError.errors }),
  };
  return { problem, headers: kernelError.headers, internal: kernelError.status >= 500 };
}

/** Converts a zod failure into field errors for the given part of a request. */
export function fieldErrorsFromZod(error: ZodError, location: FieldLocation): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.map((segment) => String(segment)).join('.'),
    in: location,
    message: issue.message,
    code: issue.code,
  }));
}

export function validationError(error: ZodError, location: FieldLocation): KernelError {
  return KernelError.validation(fieldErrorsFromZod(error, location));
}
