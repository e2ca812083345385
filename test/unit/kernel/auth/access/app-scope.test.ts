import { describe, expect, it } from 'vitest';
import { appFilterFor, assertVisible, owningAppFor, visibleTo } from '../../../../../src/kernel/auth/access';
import { KernelError, toProblem } from '../../../../../src/kernel/errors';
import { principal } from './principals';

const appA = principal({ roles: ['app'], app_id: 'app-a' });
const operator = principal({ roles: ['operator'], app_id: null });

function thrown(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('app isolation', () => {
  it('shows an app-bound principal its own app and nothing else', () => {
    expect(visibleTo(appA, 'app-a')).toBe(true);
    expect(visibleTo(appA, 'app-b')).toBe(false);
    expect(visibleTo(appA, null)).toBe(false);
  });

  it('shows kernel-wide principals everything', () => {
    expect(visibleTo(operator, 'app-a')).toBe(true);
    expect(visibleTo(operator, 'app-b')).toBe(true);
    expect(visibleTo(operator, null)).toBe(true);
  });

  it("answers 404 for another app's resource, word for word as for a missing one", () => {
    const hidden = thrown(() => assertVisible(appA, 'app-b', "Orchestration 'o-1'"));
    expect(hidden).toBeInstanceOf(KernelError);
    expect((hidden as KernelError).status).toBe(404);
    expect(toProblem(hidden).problem).toEqual(toProblem(KernelError.notFound("Orchestration 'o-1'")).problem);
    expect(() => assertVisible(appA, 'app-a', "Orchestration 'o-1'")).not.toThrow();
    expect(() => assertVisible(operator, 'app-b', "Orchestration 'o-1'")).not.toThrow();
  });

  it('confines list queries of an app-bound principal to its app', () => {
    expect(appFilterFor(appA)).toEqual({ kind: 'app', app_id: 'app-a' });
    expect(appFilterFor(appA, 'app-a')).toEqual({ kind: 'app', app_id: 'app-a' });
    expect(appFilterFor(appA, 'app-b')).toEqual({ kind: 'none' });
    expect(appFilterFor(appA, null)).toEqual({ kind: 'none' });
    expect(appFilterFor(operator)).toEqual({ kind: 'all' });
    expect(appFilterFor(operator, 'app-b')).toEqual({ kind: 'app', app_id: 'app-b' });
    expect(appFilterFor(operator, null)).toEqual({ kind: 'app', app_id: null });
  });

  it('lets an app-bound principal create only for its own app', () => {
    expect(owningAppFor(appA)).toBe('app-a');
    expect(owningAppFor(appA, 'app-a')).toBe('app-a');
    expect((thrown(() => owningAppFor(appA, 'app-b')) as KernelError).status).toBe(403);
    expect((thrown(() => owningAppFor(appA, null)) as KernelError).status).toBe(403);
    expect(owningAppFor(operator)).toBeNull();
    expect(owningAppFor(operator, 'app-b')).toBe('app-b');
  });
});
