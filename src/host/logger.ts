/**
 * Console output in the style of `func start`, so a developer who knows Core Tools
 * reads the local runtime's log without surprises. Secrets never reach here: the
 * runtime logs function names, ids, statuses and durations, not payloads.
 */
import type { RpcLogLevel } from './app/core-types';

export interface HostLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  /** A log line written by a function (context.log …) or by the library. */
  fromFunction(level: RpcLogLevel, message: string): void;
  /** Writes out lines still waiting (before user code runs, so output keeps its order). */
  flush?(): void;
}

const levelRank: Record<string, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  silent: 99,
};

export interface ConsoleLoggerOptions {
  readonly minLevel?: 'debug' | 'information' | 'warning' | 'error' | 'silent';
  readonly write?: (line: string) => void;
}

/**
 * Lines written within one turn of the event loop go to stdout in one write (two
 * lines per invocation otherwise cost a system call each under load). Pending
 * lines are flushed before the next turn, before user code runs (so a function's
 * own console output and a crash inside it come after the lines that led up to
 * it), with any warning or error, and when the process exits.
 */
interface BatchedStdout {
  write(line: string): void;
  flush(): void;
}

function batchedStdout(): BatchedStdout {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = `${pending.join('\n')}\n`;
    pending = [];
    process.stdout.write(text);
  };
  process.once('exit', flush);
  return {
    write: (line) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push(line);
    },
    flush,
  };
}

let sharedStdout: BatchedStdout | undefined;

export function createConsoleLogger(options: ConsoleLoggerOptions = {}): HostLogger {
  const min = levelRank[options.minLevel ?? 'information'] ?? 2;
  const batched = options.write === undefined ? (sharedStdout ??= batchedStdout()) : undefined;
  const write = options.write ?? ((line: string) => batched?.write(line));
  const flush = () => batched?.flush();
  const emit = (level: string, message: string) => {
    const rank = levelRank[level] ?? 2;
    if (rank < min) return;
    write(`[${new Date().toISOString()}] ${message}`);
    if (rank >= levelRank['warning']!) flush();
  };
  return {
    flush,
    info: (message) => emit('information', message),
    warn: (message) => emit('warning', message),
    error: (message) => emit('error', message),
    debug: (message) => emit('debug', message),
    fromFunction: (level, message) => emit(level === 'none' ? 'information' : level, message),
  };
}
