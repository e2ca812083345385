import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runAuditBench } from './audit-bench';
import { runAuthBench } from './auth-bench';
import { runDurableBench } from './durable-bench';
import { runHttpBench } from './http-bench';
import type { SuiteReport } from './report';
import { formatTable } from './report';

/**
 * `npm run bench [-- --quick] [-- --skip-azurite] [-- --only=throughput|scaling|http|audit|auth]`
 *
 * Runs the benchmark suites in this process, prints their tables on stdout
 * (progress goes to stderr) and writes bench/results/<suite>.json with the
 * machine it ran on. Numbers from a shared machine are noisy: compare ratios
 * measured side by side in one run, not absolute timings across runs.
 */

interface Args {
  readonly quick: boolean;
  readonly azurite: boolean;
  readonly only: 'throughput' | 'scaling' | 'http' | 'audit' | 'auth' | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let azurite = true;
  let only: Args['only'];
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--skip-azurite') azurite = false;
    else if (
      arg === '--only=throughput' ||
      arg === '--only=scaling' ||
      arg === '--only=http' ||
      arg === '--only=audit' ||
      arg === '--only=auth'
    ) {
      only = arg.slice('--only='.length) as Args['only'];
    } else if (arg === '--help' || arg === '-h') {
      console.log(
        'usage: node dist/bench/run.js [--quick] [--skip-azurite] [--only=throughput|scaling|http|audit|auth]',
      );
      process.exit(0);
    } else {
      throw new Error(`unknown argument '${arg}' (try --help)`);
    }
  }
  if ((only === 'http' || only === 'audit') && !azurite) {
    throw new Error(`--only=${only} needs Azurite (its state is in storage); drop --skip-azurite`);
  }
  return { quick, azurite, only };
}

/** The repository root: run.js sits in dist/bench/. */
function projectRoot(): string {
  const candidate = path.resolve(__dirname, '..', '..');
  return existsSync(path.join(candidate, 'package.json')) ? candidate : process.cwd();
}

function git(root: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
      encoding: 'utf8',
    }).trim();
  } catch {
    return undefined;
  }
}

function machineInfo(root: string): Record<string, unknown> {
  const cpus = os.cpus();
  const status = git(root, ['status', '--porcelain']);
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${os.release()}`,
    arch: process.arch,
    cpuCount: cpus.length,
    cpuModel: cpus[0]?.model,
    totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    date: new Date().toISOString(),
    gitCommit: git(root, ['rev-parse', 'HEAD']),
    gitDirty: status === undefined ? undefined : status.length > 0,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = projectRoot();
  const machine = machineInfo(root);
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  log(
    `${args.quick ? 'quick' : 'full'} run on ${String(machine['cpuCount'])} CPU(s), Node ${process.version}`,
  );

  const reports: SuiteReport[] = [];
  if (args.only === undefined || args.only === 'throughput' || args.only === 'scaling') {
    reports.push(
      await runDurableBench({
        quick: args.quick,
        azurite: args.azurite,
        ...(args.only ? { parts: [args.only] } : {}),
        log,
      }),
    );
  }
  if (args.only === undefined || args.only === 'http') {
    // The kernel keeps its state in storage: without Azurite there is nothing to measure.
    if (args.azurite) reports.push(await runHttpBench({ quick: args.quick, root, log }));
    else log('http suite skipped (--skip-azurite: the kernel needs Azurite)');
  }
  if (args.only === undefined || args.only === 'auth') {
    reports.push(await runAuthBench({ quick: args.quick, log }));
  }
  if (args.only === undefined || args.only === 'audit') {
    if (args.azurite) reports.push(await runAuditBench({ quick: args.quick, log }));
    else log('audit suite skipped (--skip-azurite: the trail is measured on Azurite)');
  }

  const durationMs = Math.round(performance.now() - started);
  const resultsDir = path.join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  console.log('');
  for (const report of reports) {
    for (const table of report.tables) console.log(`${formatTable(table)}\n`);
    const file = path.join(resultsDir, `${report.suite}.json`);
    const document = {
      suite: report.suite,
      mode: args.quick ? 'quick' : 'full',
      machine,
      loadAverageAtEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
      durationMs,
      ...(report.data as Record<string, unknown>),
    };
    writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
    console.log(`wrote ${path.relative(root, file)} (whole run: ${(durationMs / 1000).toFixed(1)} s)`);
  }
}

main().then(
  // Azure SDK keep-alive sockets may hold the loop open for a while; nothing is left to do.
  () => process.exit(0),
  (error: unknown) => {
    console.error(
      `[bench] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
