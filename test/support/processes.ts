import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Runs `aos` as a child process the way a user does and waits until it prints
 * its listening line; collects output for assertions and failure messages.
 */

export const projectRoot = path.resolve(__dirname, '..', '..');
export const aosBin = path.join(projectRoot, 'bin', 'aos.js');

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  output(): string;
  /** Sends a signal and resolves with the exit code once the process ends. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  readonly readyPattern?: RegExp;
  readonly timeoutMs?: number;
}

const defaultReady = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

export function runAos(args: readonly string[], options: SpawnOptions = {}): Promise<RunningProcess> {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const child = spawn(process.execPath, [aosBin, ...args], {
    cwd: options.cwd ?? projectRoot,
    env: env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`aos ${args.join(' ')} did not become ready:\n${log}`));
    }, options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString('utf8');
      const match = (options.readyPattern ?? defaultReady).exec(log);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          baseUrl: match[1] ?? '',
          output: () => log,
          exited,
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`aos ${args.join(' ')} exited with ${code} before it was ready:\n${log}`));
    });
  });
}

/** Runs `aos` to completion (for start-up failures) and returns its exit code and output. */
export function runAosToExit(
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const child = spawn(process.execPath, [aosBin, ...args], {
    cwd: options.cwd ?? projectRoot,
    env: env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}
