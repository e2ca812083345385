import type { AgentMessageSender, AgentTask, SendTaskOptions } from '../../kernel/agents';

export interface SentTask {
  readonly queue: string;
  readonly task: AgentTask;
  readonly options: SendTaskOptions;
}

/**
 * Collects the tasks the servicebus transport sends, for tests and local runs
 * without a broker. `failWith` makes the next sends throw.
 */
export class MemoryAgentMessageSender implements AgentMessageSender {
  readonly sent: SentTask[] = [];
  #failures: Error[] = [];

  /** The next `times` sends throw `error`. */
  failWith(error: Error, times = 1): void {
    for (let i = 0; i < times; i += 1) this.#failures.push(error);
  }

  async sendTask(queue: string, task: AgentTask, options: SendTaskOptions): Promise<void> {
    const failure = this.#failures.shift();
    if (failure !== undefined) throw failure;
    this.sent.push({ queue, task: structuredClone(task), options });
  }
}
