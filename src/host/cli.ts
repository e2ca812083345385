import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateLocalIssuerKey, runTokenCommand } from './auth';
import { FunctionHost } from './function-host';
import { startLocalStack } from './local-stack';
import { createConsoleLogger } from './logger';

/**
 * `aos` command line: `aos start` (Azurite + local runtime over this project) and
 * `aos host` (the local runtime over any Functions v4 app).
 */

const projectRoot = path.resolve(__dirname, '..', '..', '..');

const usage = `Usage:
  aos start [--port N] [--data DIR] [--azurite-ports auto]
      Run aos-kernel locally: Azurite (unless storage points elsewhere) + the local runtime.
  aos host [--app DIR] [--port N]
      Run any Azure Functions Node.js v4 app on the local runtime (default: this project).
  aos token --sub NAME [--roles r1,r2] [--app APP] [--ttl 1h]
      Print a token from the local issuer (key kept in .aos/); never valid in Azure.
  aos help
`;

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0-65535, got '${value}'`);
  return port;
}

class UsageError extends Error {}

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`\nReceived ${signal}; shutting down (again to force).\n`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const logger = createConsoleLogger();
  switch (command) {
    case 'host': {
      const { values } = parseArgs({
        args: [...rest],
        options: { app: { type: 'string' }, port: { type: 'string' } },
        strict: true,
      });
      const appDir = path.resolve(values.app ?? projectRoot);
      // The kernel trusts the local issuer locally; make sure its key exists before the app reads it.
      if (appDir === projectRoot)
        await loadOrCreateLocalIssuerKey({ projectRoot, hostKind: 'local-runtime' });
      const host = await FunctionHost.start({
        appDir,
        port: parsePort(values.port),
        logger,
      });
      onSignals(() => host.stop());
      return -1;
    }
    case 'start': {
      const { values } = parseArgs({
        args: [...rest],
        options: { port: { type: 'string' }, data: { type: 'string' }, 'azurite-ports': { type: 'string' } },
        strict: true,
      });
      const azuritePorts = values['azurite-ports'];
      if (azuritePorts !== undefined && azuritePorts !== 'auto' && azuritePorts !== 'default') {
        throw new UsageError("--azurite-ports must be 'auto' or 'default'");
      }
      await loadOrCreateLocalIssuerKey({ projectRoot, hostKind: 'local-runtime' });
      const stack = await startLocalStack({
        appDir: projectRoot,
        port: parsePort(values.port),
        dataDir: values.data,
        azurite: azuritePorts ?? 'default',
        logger,
      });
      process.stdout.write(
        `\naos-kernel is running at ${stack.host.baseUrl}/api\n  try: curl ${stack.host.baseUrl}/api/health\n  stop: Ctrl-C\n\n`,
      );
      onSignals(() => stack.stop());
      return -1;
    }
    case 'token':
      return runTokenCommand(rest, { projectRoot });
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

export function run(argv: readonly string[]): void {
  main(argv).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (error: unknown) => {
      if (error instanceof UsageError) {
        process.stderr.write(`aos: ${error.message}\n\n${usage}`);
        process.exit(2);
      }
      process.stderr.write(`aos: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
