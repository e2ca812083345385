/**
 * Errors: the kernel's single error type and its mapping to problem+json.
 * Owns status codes for failures. Must not touch any host or Azure library.
 */
export { KernelError, isKernelError, kernelErrorCodes } from './kernel-error';
export type { FieldError, FieldLocation, KernelErrorCode, KernelErrorOptions } from './kernel-error';
export { toProblem, fieldErrorsFromZod, validationError, problemType, problemContentType } from './problem';
export type { Problem, ProblemResult } from './problem';
