import { describe, expect, it } from 'vitest';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { createTestHost } from '../../../src/testing';

/** The README's testing example, as written there, must keep working. */

function register(): void {
  df.app.activity('notify', { handler: (who: string) => `notified ${who}` });
  df.app.orchestration('approval', function* (context: OrchestrationContext) {
    const deadline = context.df.createTimer(
      new Date(context.df.currentUtcDateTime.getTime() + 7 * 86_400_000),
    );
    const decision = context.df.waitForExternalEvent('decision');
    const winner: unknown = yield context.df.Task.any([decision, deadline]);
    if (winner === decision) deadline.cancel();
    return winner === decision
      ? decision.result
      : ((yield context.df.callActivity('notify', 'owner')) as string);
  });
}

describe('README testing example', () => {
  it('lets the 7-day deadline pass in milliseconds', async () => {
    const host = await createTestHost({ app: { register } });
    try {
      const id = await host.startNew('approval');
      await host.whenIdle();
      host.advanceTime(7 * 86_400_000);
      const status = await host.waitForCompletion(id);
      expect(status.runtimeStatus).toBe('Completed');
      expect(status.output).toBe('notified owner');
    } finally {
      await host.stop();
    }
  });

  it('answers the approval when the event comes first', async () => {
    const host = await createTestHost({ app: { register } });
    try {
      const id = await host.startNew('approval');
      await host.whenIdle();
      await host.raiseEvent(id, 'decision', 'approved');
      expect((await host.waitForCompletion(id)).output).toBe('approved');
    } finally {
      await host.stop();
    }
  });
});
