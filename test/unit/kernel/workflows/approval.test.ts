import { describe, expect, it } from 'vitest';
import { KernelError } from '../../../../src/kernel/errors';
import type { ApprovalStep } from '../../../../src/kernel/workflows';
import {
  approvalDeadline,
  approvalDecisionBodySchema,
  approvalOutcome,
  canApprove,
} from '../../../../src/kernel/workflows';

function gate(approvers: string[]): ApprovalStep {
  return {
    id: 'gate',
    kind: 'approval',
    depends_on: [],
    prompt: 'Ship?',
    approvers,
    deadline_seconds: 90,
    default_outcome: 'rejected',
  };
}

describe('approvalOutcome', () => {
  it('takes the approver’s decision and comment', () => {
    expect(
      approvalOutcome({
        decision: { outcome: 'approved', approver: 'alice@contoso.com', comment: 'LGTM' },
        timed_out: false,
        default_outcome: 'rejected',
      }),
    ).toEqual({ outcome: 'approved', decided_by: 'alice@contoso.com', comment: 'LGTM' });
  });

  it('lets a decision win even if the deadline also passed', () => {
    expect(
      approvalOutcome({
        decision: { outcome: 'rejected', approver: 'bob' },
        timed_out: true,
        default_outcome: 'approved',
      }),
    ).toEqual({ outcome: 'rejected', decided_by: 'bob' });
  });

  it.each(['approved', 'rejected'] as const)('applies the default outcome %s at the deadline', (outcome) => {
    expect(approvalOutcome({ timed_out: true, default_outcome: outcome })).toEqual({
      outcome,
      decided_by: 'deadline',
    });
  });

  it('refuses to decide while still pending', () => {
    expect(() => approvalOutcome({ timed_out: false, default_outcome: 'approved' })).toThrow(KernelError);
  });
});

describe('canApprove', () => {
  it('lets anyone decide when no approvers are named', () => {
    expect(canApprove(gate([]), 'anyone@contoso.com')).toBe(true);
  });

  it('lets only named approvers decide, ignoring case', () => {
    const step = gate(['Alice@Contoso.com']);
    expect(canApprove(step, 'alice@contoso.com')).toBe(true);
    expect(canApprove(step, 'mallory@contoso.com')).toBe(false);
  });

  it('never lets a blank principal decide', () => {
    expect(canApprove(gate([]), '  ')).toBe(false);
  });
});

describe('approvalDeadline', () => {
  it('adds the step’s deadline to when it started waiting', () => {
    expect(approvalDeadline(gate([]), new Date('2024-01-01T00:00:00Z')).toISOString()).toBe(
      '2024-01-01T00:01:30.000Z',
    );
  });
});

describe('approvalDecisionBodySchema', () => {
  it('accepts an outcome with an optional comment and nothing else', () => {
    expect(approvalDecisionBodySchema.parse({ outcome: 'approved' })).toEqual({ outcome: 'approved' });
    expect(approvalDecisionBodySchema.safeParse({ outcome: 'maybe' }).success).toBe(false);
    expect(approvalDecisionBodySchema.safeParse({ outcome: 'approved', approver: 'me' }).success).toBe(false);
  });
});
