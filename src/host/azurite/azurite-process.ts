import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * Starts Azurite, the real storage emulator, from this project's node_modules, and
 * waits until all three services listen. Ports come from Azurite's own start-up
 * lines, so port 0 (pick free ports) has no race. The child is stopped by its own
 * PID, never through npx.
 */

export interface AzuriteServicePorts {
  readonly blob: number;
  readonly queue: number;
  readonly table: number;
}

export interface AzuriteOptions {
  /** Folder for data that must survive restarts; undefined keeps everything in memory. */
  readonly location?: string | undefined;
  /** Fixed ports, or 0 for each to let the OS choose. */
  readonly ports?: AzuriteServicePorts;
  readonly host?: string;
  /** Called with Azurite's own output lines (start-up and errors). */
  readonly onOutput?: (line: string) => void;
  readonly startTimeoutMs?: number;
}

export interface RunningAzurite {
  readonly ports: AzuriteServicePorts;
  readonly host: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export class AzuriteStartError extends Error {}

export function azuriteEntryPoint(): string {
  const packageJson = require.resolve('azurite/package.json');
  return path.join(path.dirname(packageJson), 'dist', 'src', 'azurite.js');
}

const listeningLine =
  /Azurite (Blob|Queue|Table) service is successfully listening at https?:\/\/[^:]+:(\d+)/;

export function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const host = options.host ?? '127.0.0.1';
  const ports = options.ports ?? { blob: 0, queue: 0, table: 0 };
  const args = [
    azuriteEntryPoint(),
    '--blobHost',
    host,
    '--queueHost',
    host,
    '--tableHost',
    host,
    '--blobPort',
    String(ports.blob),
    '--queuePort',
    String(ports.queue),
    '--tablePort',
    String(ports.table),
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
    '--silent',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence', '--extentMemoryLimit', '256');
  }
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const found: Partial<Record<'blob' | 'queue' | 'table', number>> = {};
  const output: string[] = [];

  return new Promise<RunningAzurite>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new AzuriteStartError(
          `Azurite did not start within ${options.startTimeoutMs ?? 30_000}ms:\n${output.join('\n')}`,
        ),
      );
    }, options.startTimeoutMs ?? 30_000);

    const onLine = (line: string) => {
      output.push(line);
      options.onOutput?.(line);
      const match = listeningLine.exec(line);
      if (match) found[match[1]!.toLowerCase() as 'blob' | 'queue' | 'table'] = Number(match[2]);
      if (found.blob && found.queue && found.table) {
        clearTimeout(timer);
        const running: RunningAzurite = {
          ports: { blob: found.blob, queue: found.queue, table: found.table },
          host,
          pid: child.pid,
          stop: () => stopChild(child),
        };
        resolve(running);
      }
    };
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        onLine(buffered.slice(0, newline).trimEnd());
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new AzuriteStartError(`Azurite exited with code ${code} before it was ready:\n${output.join('\n')}`),
      );
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new AzuriteStartError(`Azurite could not be started: ${error.message}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
