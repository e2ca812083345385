import { loadOrCreateLocalIssuerKey } from '../src/host/auth';
import { LocalIssuer } from '../src/kernel/auth/tokens';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { startAzurite } from '../src/host/azurite/azurite-process';
import type { RunningAzurite } from '../src/host/azurite/azurite-process';
import { azuriteConnectionString } from '../src/kernel/config';
import type { ProgressLog, SuiteReport, Table } from './report';
import { fmt, round } from './report';

/**
 * The HTTP suite: how many orchestrations per second `POST /api/orchestrations`
 * accepts and at what p50/p99 latency, next to `GET /api/health` on the same kernel
 * and a bare `node:http` server, measured one after another in the same run with
 * the same load (autocannon, in this process), and the ratios between them.
 *
 * The kernel runs the way a user runs it: `node bin/aos.js host --port 0` as a
 * child process on an in-memory Azurite. The bare server is a child process too,
 * so all three targets have a process of their own and the load generator has
 * this one. Every response is checked against the status the target must answer
 * (200, 200, 202); more than a small fraction of other answers or connection
 * errors fails the run.
 */

export type TargetId = 'node-http' | 'kernel-health' | 'kernel-submit';

export interface HttpBenchOptions {
  /** Shorter runs: a smoke run. */
  readonly quick?: boolean;
  /** Repository root (holds bin/aos.js and dist/). Default: two levels above this file. */
  readonly root?: string;
  readonly log?: ProgressLog;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

export interface HttpTargetResult {
  readonly target: TargetId;
  readonly label: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly expectedStatus: number;
  readonly connections: number;
  /** Measured time, as autocannon reports it. */
  readonly durationSeconds: number;
  /** Responses of any status. */
  readonly responses: number;
  /** Responses with the expected status. */
  readonly accepted: number;
  /** accepted / durationSeconds: for POST /api/orchestrations, orchestrations accepted per second. */
  readonly requestsPerSecond: number;
  /** Of the responses with the expected status, from autocannon's per-response times (hrtime, ms). */
  readonly latencyMs: LatencySummary;
  readonly non2xx: number;
  /** Responses whose status was not the expected one, by status. */
  readonly unexpectedStatuses: Record<string, number>;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  /** autocannon's own summary: mean of its per-second samples; latency percentiles at 1 ms resolution. */
  readonly autocannon: {
    readonly requestsPerSecondMean: number;
    readonly latencyP50Ms: number;
    readonly latencyP99Ms: number;
    readonly statusCodes: Record<string, number>;
  };
}

export interface HttpRatio {
  /** A/B of requests per second: below 1, A serves fewer requests per second than B. */
  readonly a: TargetId;
  readonly b: TargetId;
  readonly throughput: number;
  /** A/B of latency: above 1, A is slower. */
  readonly p50: number;
  readonly p99: number;
}

export interface HttpBenchData {
  readonly settings: Record<string, unknown>;
  readonly targets: readonly HttpTargetResult[];
  readonly ratios: readonly HttpRatio[];
}

// ------------------------------------------------------------------ autocannon (ships no types)

interface AutocannonOptions {
  readonly url: string;
  readonly connections: number;
  /** Seconds. */
  readonly duration: number;
  readonly pipelining?: number;
  /** Per-request timeout in seconds. */
  readonly timeout?: number;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly title?: string;
}

interface AutocannonHistogram {
  readonly average: number;
  readonly p50: number;
  readonly p99: number;
}

interface AutocannonResult {
  /** Seconds. */
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly statusCodeStats: Record<string, { readonly count: number }>;
  readonly requests: AutocannonHistogram & { readonly total: number };
  readonly latency: AutocannonHistogram;
}

interface AutocannonInstance extends EventEmitter {
  stop(): void;
}

type Autocannon = (
  options: AutocannonOptions,
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

function loadAutocannon(): Autocannon {
  try {
    return createRequire(__filename)('autocannon') as Autocannon;
  } catch (error) {
    throw new Error(
      `the http suite needs the autocannon devDependency (npm install): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

// ------------------------------------------------------------------ child processes

const readyLine = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

interface RunningChild {
  readonly label: string;
  readonly baseUrl: string;
  readonly logFile: string;
  /** Whether it is still running. */
  alive(): boolean;
  /** The last lines of its output. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

function tailOf(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // A kernel with a backlog of orchestrations may take a while to drain; do not wait long.
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts `node <args>` with its output going to a file (not a pipe: a pipe this
 * process is too busy to drain while it generates load would stall the child's
 * synchronous stdout writes) and waits for its `listening on` line.
 */
function startChild(
  label: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; timeoutMs: number },
): Promise<RunningChild> {
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  return new Promise<RunningChild>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      clearTimeout(timer);
      outcome();
    };
    const poll = setInterval(() => {
      let text: string;
      try {
        text = readFileSync(options.logFile, 'utf8');
      } catch {
        return;
      }
      const match = readyLine.exec(text);
      if (!match) return;
      finish(() =>
        resolve({
          label,
          baseUrl: match[1]!,
          logFile: options.logFile,
          alive: () => child.exitCode === null && child.signalCode === null,
          tail: (lines) => tailOf(options.logFile, lines),
          stop: () => stopProcess(child),
        }),
      );
    }, 50);
    const timer = setTimeout(
      () =>
        finish(() => {
          child.kill('SIGKILL');
          reject(
            new Error(
              `${label} did not print its listening line within ${options.timeoutMs / 1000}s:\n${tailOf(options.logFile)}`,
            ),
          );
        }),
      options.timeoutMs,
    );
    child.once('exit', (code, signal) =>
      finish(() =>
        reject(
          new Error(
            `${label} exited (${signal ?? `code ${String(code)}`}) before it was ready:\n${tailOf(options.logFile)}`,
          ),
        ),
      ),
    );
    child.once('error', (error) =>
      finish(() => reject(new Error(`${label} could not be started: ${error.message}`))),
    );
  });
}

/** A minimal HTTP server: answers every request with a small JSON body, keep-alive as the kernel's. */
const bareServerSource = `
const http = require('node:http');
const body = JSON.stringify({ status: 'ok' });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write('listening on http://127.0.0.1:' + server.address().port + '\\n');
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
`;

// ------------------------------------------------------------------ load

interface Target {
  readonly id: TargetId;
  readonly label: string;
  readonly method: 'GET' | 'POST';
  readonly baseUrl: string;
  readonly path: string;
  readonly expectedStatus: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Whose output to show when the target misbehaves. */
  readonly process: RunningChild;
}

interface LoadOutcome {
  readonly result: AutocannonResult;
  readonly responses: number;
  readonly accepted: number;
  /** Sorted latencies (ms) of the responses with the expected status. */
  readonly latencies: Float64Array;
  readonly unexpected: Record<string, number>;
}

const maxErrorFraction = 0.01;

function runLoad(
  autocannon: Autocannon,
  target: Target,
  seconds: number,
  connections: number,
): Promise<LoadOutcome> {
  const times: number[] = [];
  const unexpected: Record<string, number> = {};
  let responses = 0;
  return new Promise<LoadOutcome>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${target.baseUrl}${target.path}`,
        connections,
        duration: seconds,
        pipelining: 1,
        timeout: 10,
        method: target.method,
        ...(target.headers ? { headers: target.headers } : {}),
        ...(target.body === undefined ? {} : { body: target.body }),
        title: target.id,
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const latencies = Float64Array.from(times).sort();
        resolve({ result, responses, accepted: latencies.length, latencies, unexpected });
      },
    );
    // Per-response times from hrtime; autocannon's own histogram keeps whole milliseconds only.
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      responses += 1;
      if (statusCode === target.expectedStatus) times.push(responseTime);
      else unexpected[String(statusCode)] = (unexpected[String(statusCode)] ?? 0) + 1;
    });
  });
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

function summarize(sorted: Float64Array): LatencySummary {
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    p50: round(percentile(sorted, 0.5), 3),
    p99: round(percentile(sorted, 0.99), 3),
    mean: round(sorted.length === 0 ? Number.NaN : sum / sorted.length, 3),
    max: round(sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!, 3),
  };
}

/** Fails loudly when the target did not answer as it must. */
function check(target: Target, outcome: LoadOutcome, phase: string): void {
  const { result, responses, accepted, unexpected } = outcome;
  const bad = responses - accepted + result.errors;
  const total = responses + result.errors;
  if (accepted > 0 && bad <= maxErrorFraction * total) return;
  const statuses = Object.entries(unexpected)
    .map(([status, count]) => `${count}× ${status}`)
    .join(', ');
  throw new Error(
    `${target.label} (${phase}): ${accepted} of ${total} requests answered ${target.expectedStatus}` +
      ` (other statuses: ${statuses || 'none'}; connection errors: ${result.errors}, timeouts: ${result.timeouts});` +
      ` more than ${maxErrorFraction * 100}% failed.\n` +
      `${target.process.label} output (last lines, full log ${target.process.logFile}):\n${target.process.tail()}`,
  );
}

function toResult(target: Target, connections: number, outcome: LoadOutcome): HttpTargetResult {
  const { result } = outcome;
  const statusCodes: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats)) statusCodes[status] = stats.count;
  return {
    target: target.id,
    label: target.label,
    method: target.method,
    path: target.path,
    expectedStatus: target.expectedStatus,
    connections,
    durationSeconds: result.duration,
    responses: outcome.responses,
    accepted: outcome.accepted,
    requestsPerSecond: round(outcome.accepted / result.duration, 1),
    latencyMs: summarize(outcome.latencies),
    non2xx: result.non2xx,
    unexpectedStatuses: outcome.unexpected,
    errors: result.errors,
    timeouts: result.timeouts,
    autocannon: {
      requestsPerSecondMean: round(result.requests.average, 1),
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      statusCodes,
    },
  };
}

// ------------------------------------------------------------------ kernel calls

/** A local-issuer token: the kernel authenticates every route but bare liveness. */
let authorization = '';

async function benchToken(root: string): Promise<string> {
  const { key } = await loadOrCreateLocalIssuerKey({ projectRoot: root, hostKind: 'local-runtime' });
  const issued = await (
    await LocalIssuer.fromKey(key)
  ).issue({ sub: 'bench', roles: ['admin'], ttlSeconds: 3600 });
  return `Bearer ${issued.token}`;
}

async function call(
  baseUrl: string,
  method: 'GET' | 'POST',
  urlPath: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> | null; text: string }> {
  const response = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers: {
      authorization,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed, text };
}

// ------------------------------------------------------------------ suite

interface Plan {
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
}

function planFor(quick: boolean): Plan {
  return quick
    ? { connections: 10, seconds: 3, warmupSeconds: 1 }
    : { connections: 10, seconds: 10, warmupSeconds: 2 };
}

export const benchAgent = {
  agent_id: 'bench-echo',
  purpose: 'bench',
  transport: { type: 'builtin', name: 'echo' },
} as const;

export const submission = { agent_ids: ['bench-echo'], workflow: 'sequential', purpose: 'bench' } as const;

const ratioPairs: readonly (readonly [TargetId, TargetId])[] = [
  ['kernel-submit', 'node-http'],
  ['kernel-submit', 'kernel-health'],
  ['kernel-health', 'node-http'],
];

export async function runHttpBench(options: HttpBenchOptions = {}): Promise<SuiteReport<HttpBenchData>> {
  const log = options.log ?? ((): void => undefined);
  const quick = options.quick ?? false;
  const plan = planFor(quick);
  const root = options.root ?? path.resolve(__dirname, '..', '..');
  const aosBin = path.join(root, 'bin', 'aos.js');
  const cli = path.join(root, 'dist', 'src', 'host', 'cli.js');
  if (!existsSync(aosBin))
    throw new Error(`http suite: ${aosBin} not found (is ${root} the repository root?)`);
  if (!existsSync(cli)) {
    throw new Error(
      `http suite: ${path.relative(root, cli)} not found; the kernel is not compiled. ` +
        'Run `npm run bench` (it compiles src/ and bench/ with tsconfig.bench.json) or `npm run build` first.',
    );
  }
  const autocannon = loadAutocannon();

  const logDir = mkdtempSync(path.join(os.tmpdir(), 'aos-http-bench-'));
  const taskHub = `bench${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  let azurite: RunningAzurite | undefined;
  let bare: RunningChild | undefined;
  let kernel: RunningChild | undefined;
  let succeeded = false;
  try {
    log('http: starting a bare node:http server (child process)...');
    bare = await startChild('bare node:http server', ['-e', bareServerSource], {
      cwd: root,
      env: process.env,
      logFile: path.join(logDir, 'node-http.log'),
      timeoutMs: 10_000,
    });

    log('http: starting Azurite (in memory)...');
    azurite = await startAzurite();

    log('http: starting the kernel (node bin/aos.js host --port 0)...');
    kernel = await startChild('kernel (aos host)', [aosBin, 'host', '--port', '0'], {
      cwd: root,
      env: {
        ...process.env,
        AzureWebJobsStorage: azuriteConnectionString(azurite.ports),
        AOS_TASK_HUB: taskHub,
        AOS_CALLBACK_SIGNING_SECRET: 'bench-http-callback-signing-secret',
        AOS_AUTH_LOCAL_ISSUER: 'true',
        // The load generator is one principal; its requests must not meet the rate limit.
        AOS_RATE_LIMIT_CAPACITY: '1000000',
        AOS_RATE_LIMIT_REFILL_PER_SECOND: '1000000',
      },
      logFile: path.join(logDir, 'kernel.log'),
      timeoutMs: 60_000,
    });
    log(`http: kernel at ${kernel.baseUrl}, bare server at ${bare.baseUrl}`);
    authorization = await benchToken(root);

    const registered = await call(kernel.baseUrl, 'POST', '/api/agents/register', benchAgent);
    if (registered.status !== 201 && registered.status !== 200) {
      throw new Error(
        `http suite: registering ${benchAgent.agent_id} answered ${registered.status}: ${registered.text}`,
      );
    }

    const json = { 'content-type': 'application/json', authorization };
    const targets: readonly Target[] = [
      {
        id: 'node-http',
        label: 'bare node:http, GET /',
        method: 'GET',
        baseUrl: bare.baseUrl,
        path: '/',
        expectedStatus: 200,
        process: bare,
      },
      {
        id: 'kernel-health',
        label: 'kernel, GET /api/health',
        method: 'GET',
        baseUrl: kernel.baseUrl,
        path: '/api/health',
        expectedStatus: 200,
        headers: { authorization },
        process: kernel,
      },
      {
        id: 'kernel-submit',
        label: 'kernel, POST /api/orchestrations',
        method: 'POST',
        baseUrl: kernel.baseUrl,
        path: '/api/orchestrations',
        expectedStatus: 202,
        headers: json,
        body: JSON.stringify(submission),
        process: kernel,
      },
    ];

    // One request each, checked in full, before any load.
    for (const target of targets) {
      const probe = await call(
        target.baseUrl,
        target.method,
        target.path,
        target.body === undefined ? undefined : submission,
      );
      const shapeOk =
        target.id === 'kernel-health'
          ? probe.body?.['status'] === 'healthy'
          : target.id === 'kernel-submit'
            ? typeof probe.body?.['orchestration_id'] === 'string'
            : probe.body?.['status'] === 'ok';
      if (probe.status !== target.expectedStatus || !shapeOk) {
        throw new Error(
          `http suite: ${target.label} answered ${probe.status} (expected ${target.expectedStatus}): ${probe.text}\n` +
            `${target.process.label} output (last lines):\n${target.process.tail()}`,
        );
      }
    }

    const results: HttpTargetResult[] = [];
    for (const target of targets) {
      log(`http: ${target.label}: warm-up ${plan.warmupSeconds}s`);
      check(target, await runLoad(autocannon, target, plan.warmupSeconds, plan.connections), 'warm-up');
      if (!target.process.alive())
        throw new Error(`${target.process.label} exited:\n${target.process.tail()}`);
      log(`http: ${target.label}: ${plan.seconds}s with ${plan.connections} connections`);
      const outcome = await runLoad(autocannon, target, plan.seconds, plan.connections);
      check(target, outcome, 'measured');
      const result = toResult(target, plan.connections, outcome);
      results.push(result);
      log(
        `http: ${target.label}: ${fmt(result.requestsPerSecond)} req/s, p50 ${fmt(result.latencyMs.p50)} ms, p99 ${fmt(result.latencyMs.p99)} ms`,
      );
    }

    const byId = new Map(results.map((r) => [r.target, r]));
    const ratios: HttpRatio[] = ratioPairs.map(([a, b]) => {
      const ra = byId.get(a)!;
      const rb = byId.get(b)!;
      return {
        a,
        b,
        throughput: round(ra.requestsPerSecond / rb.requestsPerSecond, 4),
        p50: round(ra.latencyMs.p50 / rb.latencyMs.p50, 3),
        p99: round(ra.latencyMs.p99 / rb.latencyMs.p99, 3),
      };
    });

    const data: HttpBenchData = {
      settings: {
        quick,
        parts: ['http'],
        loadGenerator: 'autocannon 8.0.0, in the bench process',
        connections: plan.connections,
        pipelining: 1,
        durationSeconds: plan.seconds,
        warmupSeconds: plan.warmupSeconds,
        order: targets.map((t) => t.id),
        kernel:
          'node bin/aos.js host --port 0 (child process), in-memory Azurite (child process), own task hub',
        bareServer:
          'node:http server in a child process answering {"status":"ok"} with 200, keepAliveTimeout 5 s',
        registeredAgent: benchAgent,
        submission,
        latency:
          'per-response times (hrtime, ms) from autocannon response events, responses with the expected status only',
        requestsPerSecond: 'responses with the expected status / measured seconds',
        maxErrorFraction,
      },
      targets: results,
      ratios,
    };
    succeeded = true;
    return { suite: 'http', tables: tables(data), data };
  } finally {
    await kernel?.stop().catch(() => undefined);
    await bare?.stop().catch(() => undefined);
    await azurite?.stop().catch(() => undefined);
    if (succeeded) rmSync(logDir, { recursive: true, force: true });
    else log(`http: child process output kept in ${logDir}`);
  }
}

// ------------------------------------------------------------------ tables

const shortLabels: Record<TargetId, string> = {
  'node-http': 'bare node:http',
  'kernel-health': 'GET /api/health',
  'kernel-submit': 'POST /api/orchestrations',
};

function tables(data: HttpBenchData): Table[] {
  const first = data.targets[0];
  return [
    {
      title: `HTTP (${first?.connections ?? '?'} connections, ${String(data.settings['durationSeconds'])} s each, one after another)`,
      columns: ['target', 'responses', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
      rows: data.targets.map((t) => [
        t.label,
        String(t.responses),
        fmt(t.requestsPerSecond),
        fmt(t.latencyMs.p50),
        fmt(t.latencyMs.p99),
        String(t.non2xx),
        String(t.errors),
      ]),
      notes: [
        'req/s counts answers with the expected status (200, 200, 202): for POST, orchestrations accepted per second.',
        'The kernel keeps running the accepted orchestrations while it takes new ones.',
        'p99 rests on few samples where responses are few (about 1 in 100 answers lies above it).',
      ],
    },
    {
      title: 'HTTP ratios A/B (req/s below 1 = A serves fewer; latency above 1 = A slower)',
      columns: ['A vs B', 'req/s', 'p50', 'p99'],
      rows: data.ratios.map((r) => [
        `${shortLabels[r.a]} vs ${shortLabels[r.b]}`,
        `${fmt(r.throughput)}x`,
        `${fmt(r.p50)}x`,
        `${fmt(r.p99)}x`,
      ]),
    },
  ];
}
