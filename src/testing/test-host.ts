import type { InlineApp } from '../host/app/app-loader';
import { installFunctionsCore } from '../host/app/functions-core';
import { VirtualClock } from '../host/durable/clock';
import type { Clock } from '../host/durable/clock';
import type { DurableRuntime } from '../host/durable/durable-runtime';
import type { HistoryEvent } from '../host/durable/history';
import { MemoryDurableStore } from '../host/durable/stores/memory-store';
import type { DurableStore, InstanceStatusView, StatusOptions } from '../host/durable/types';
import { terminalStatuses } from '../host/durable/types';
import { FunctionHost } from '../host/function-host';
import { createConsoleLogger } from '../host/logger';

// Registrations made after this module loads go to the local runtime, not to
// @azure/functions' "test mode" (which would drop them).
installFunctionsCore();

export interface TestHostOptions {
  /** The app's folder, or an app defined in code with `register`. */
  readonly app: string | InlineApp;
  /** 'virtual' (default) starts at `startTime` and moves only when told or when time skipping applies. */
  readonly clock?: 'virtual' | 'real' | Clock;
  readonly startTime?: Date;
  /** With a virtual clock: jump to the next timer whenever every instance waits only on timers. Default true. */
  readonly autoSkipTime?: boolean;
  readonly store?: DurableStore;
  /** Host log level; tests default to warnings only. */
  readonly logLevel?: 'debug' | 'information' | 'warning' | 'error' | 'silent';
}

export interface WaitOptions {
  /** Real milliseconds to wait before giving up. Default 10 000. */
  readonly timeoutMs?: number;
}

export class TestHost {
  private constructor(
    readonly host: FunctionHost,
    readonly runtime: DurableRuntime,
    readonly clock: Clock,
  ) {}

  static async create(options: TestHostOptions): Promise<TestHost> {
    const clock =
      options.clock === undefined || options.clock === 'virtual'
        ? new VirtualClock(options.startTime ?? new Date(Date.UTC(2026, 0, 1)))
        : options.clock === 'real'
          ? undefined
          : options.clock;
    const host = await FunctionHost.start({
      appDir: options.app,
      port: 0,
      logger: createConsoleLogger({ minLevel: options.logLevel ?? 'warning' }),
      durable: {
        ...(clock ? { clock } : {}),
        store: options.store ?? new MemoryDurableStore(),
        autoSkipTime: options.autoSkipTime ?? clock instanceof VirtualClock,
      },
    });
    if (!host.durable) {
      await host.stop();
      throw new Error(
        'The app registers no durable functions (orchestrations, activities, entities or durable clients).',
      );
    }
    return new TestHost(host, host.durable, host.durable.clock);
  }

  /** Base URL of the app's HTTP triggers and the Durable webhooks. */
  get baseUrl(): string {
    return this.host.baseUrl;
  }

  startNew(name: string, options: { input?: unknown; instanceId?: string } = {}): Promise<string> {
    return this.runtime.startOrchestration(name, options);
  }

  async raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void> {
    const result = await this.runtime.raiseEvent(instanceId, eventName, data);
    if (result !== 'accepted') throw new Error(`raiseEvent to '${instanceId}' was not accepted: ${result}`);
  }

  async terminate(instanceId: string, reason = 'terminated by test'): Promise<void> {
    await this.runtime.terminate(instanceId, reason);
  }

  getStatus(instanceId: string, options?: StatusOptions): InstanceStatusView | undefined {
    return this.runtime.getStatus(instanceId, options);
  }

  history(instanceId: string): readonly HistoryEvent[] {
    return this.runtime.history(instanceId);
  }

  /** Moves a virtual clock forward, firing timers that come due. */
  advanceTime(ms: number): void {
    if (!(this.clock instanceof VirtualClock)) throw new Error('advanceTime needs the virtual clock');
    this.clock.advance(ms);
  }

  setAutoSkipTime(enabled: boolean): void {
    this.runtime.setAutoSkip(enabled);
  }

  /** Resolves when nothing is running or queued (instances may still wait on timers or events). */
  whenIdle(): Promise<void> {
    return this.runtime.whenIdle();
  }

  /** Waits until the instance reaches a terminal status and returns that status. */
  async waitForCompletion(instanceId: string, options: WaitOptions = {}): Promise<InstanceStatusView> {
    return this.waitFor(instanceId, (status) => terminalStatuses.has(status.runtimeStatus), options);
  }

  /** Waits until `predicate` holds for the instance's status. */
  async waitFor(
    instanceId: string,
    predicate: (status: InstanceStatusView) => boolean,
    options: WaitOptions = {},
  ): Promise<InstanceStatusView> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    for (;;) {
      const status = this.runtime.getStatus(instanceId);
      if (status && predicate(status)) return status;
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out waiting for instance '${instanceId}' (status: ${status?.runtimeStatus ?? 'not found'}).`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  stop(): Promise<void> {
    return this.host.stop(1_000);
  }
}

export function createTestHost(options: TestHostOptions): Promise<TestHost> {
  return TestHost.create(options);
}
