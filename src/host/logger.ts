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
 * lines are flushed before the next turn and when the process exits.
 */
function batchedStdout(): (line: string) => void {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = `${pending.join('\n')}\n`;
    pending = [];
    process.stdout.write(text);
  };
  process.once('exit', flush);
  return (line) => {
    if (pending.length === 0) setImmediate(flush);
    pending.push(line);
  };
}

let sharedStdout: ((line: string) => void) | undefined;

export function createConsoleLogger(options: ConsoleLoggerOptions = {}): HostLogger {
  const min = levelRank[options.minLevel ?? 'information'] ?? 2;
  const write = options.write ?? (sharedStdout ??= batchedStdout());
  const emit = (level: string, message: string) => {
    if ((levelRank[level] ?? 2) < min) return;
    write(`[${new Date().toISOString()}] ${message}`);
  };
  return {
    info: (message) => emit('information', message),
    warn: (message) => emit('warning', message),
    error: (message) => emit('error', message),
    debug: (message) => emit('debug', message),
    fromFunction: (level, message) => emit(level === 'none' ? 'information' : level, message),
  };
}
