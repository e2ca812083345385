import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KernelError, problemType, toProblem, validationError } from '../../../../src/kernel/errors';

describe('toProblem', () => {
  it('maps each kernel error code to its status', () => {
    const cases = [
      ['bad_request', 400],
      ['validation_failed', 400],
      ['unauthorized', 401],
      ['forbidden', 403],
      ['not_found', 404],
      ['method_not_allowed', 405],
      ['conflict', 409],
      ['payload_too_large', 413],
      ['unsupported_media_type', 415],
      ['rate_limited', 429],
      ['unavailable', 503],
    ] as const;
    for (const [code, status] of cases) {
      const { problem } = toProblem(new KernelError(code, 'x'));
      expect(problem.status).toBe(status);
      expect(problem.code).toBe(code);
      expect(problem.type).toBe(problemType(code));
    }
  });

  it('carries detail, instance, headers and extension members', () => {
    const { problem, headers, internal } = toProblem(
      new KernelError('rate_limited', 'Too many requests', {
        detail: 'slow down',
        headers: { 'retry-after': '3' },
        extensions: { retry_after_seconds: 3 },
      }),
      '/api/things',
    );
    expect(problem).toMatchObject({
      title: 'Too many requests',
      status: 429,
      detail: 'slow down',
      instance: '/api/things',
      retry_after_seconds: 3,
    });
    expect(headers).toEqual({ 'retry-after': '3' });
    expect(internal).toBe(false);
  });

  it('hides everything about unexpected errors', () => {
    const { problem, internal } = toProblem(new Error('connection string AccountKey=abc leaked at x.ts:1'));
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('AccountKey');
    expect(JSON.stringify(problem)).not.toContain('x.ts');
    expect(internal).toBe(true);
  });

  it('lists each field at fault for a schema failure', () => {
    const schema = z.object({
      agent_ids: z.array(z.string()).min(1),
      purpose: z.object({ purpose: z.string() }),
    });
    const parsed = schema.safeParse({ agent_ids: [], purpose: { purpose: 5 } });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    const { problem } = toProblem(validationError(parsed.error, 'body'));
    expect(problem.status).toBe(400);
    expect(problem.errors?.map((e) => [e.in, e.field])).toEqual([
      ['body', 'agent_ids'],
      ['body', 'purpose.purpose'],
    ]);
    expect(problem.detail).toContain("body field 'agent_ids'");
    expect(problem.detail).toContain('and 1 more');
  });
});
