import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import {
  InMemoryOrchestrationBackend,
  OrchestrationStatus,
  TestOrchestrationClient,
  TestOrchestrationWorker,
  whenAll,
} from '@microsoft/durabletask-js';
import type { OrchestrationContext as PeerContext, Task as PeerTask } from '@microsoft/durabletask-js';
import { startAzurite } from '../src/host/azurite/azurite-process';
import type { RunningAzurite } from '../src/host/azurite/azurite-process';
import { MemoryDurableStore } from '../src/host/durable/stores/memory-store';
import { TableDurableStore } from '../src/host/durable/stores/table-store';
import type { DurableStore } from '../src/host/durable/types';
import { azuriteConnectionString } from '../src/kernel/config';
import { createTestHost } from '../src/testing';
import type { TestHost } from '../src/testing';
import type { ProgressLog, SuiteReport, Table } from './report';
import { fmt, median, round } from './report';

/**
 * The durable suite: orchestration throughput of our local Durable runtime (memory
 * store and Azure Table store on Azurite) next to durabletask-js's in-memory
 * backend, on the same two workloads in the same process, and how the cost of one
 * orchestration grows with its number of sequential activities.
 *
 * Every measured batch is checked: each orchestration must complete with the
 * exact sum of its activities' results, and the activities must have run exactly
 * as often as scheduled. A wrong answer fails the run.
 */

export type Workload = 'sequence' | 'fanout';
export type EngineId = 'aos-memory' | 'aos-azurite' | 'peer';

export interface DurableBenchOptions {
  /** Smaller batches and fewer rounds: a smoke run. */
  readonly quick?: boolean;
  /** Leave out the Azurite (Table store) engine. */
  readonly azurite?: boolean;
  /** Run only these parts. Default: both. */
  readonly parts?: readonly ('throughput' | 'scaling')[];
  readonly log?: ProgressLog;
}

/** host.json concurrency for our runtime. */
export const concurrency = {
  maxConcurrentActivityFunctions: 20,
  maxConcurrentOrchestratorFunctions: 20,
} as const;

interface WorkInput {
  readonly base: number;
  readonly n: number;
}

interface BatchOutcome {
  /** Start of the first instance to completion of the last, in ms. */
  readonly elapsedMs: number;
  readonly results: readonly { readonly id: string; readonly status: string; readonly output: unknown }[];
  readonly activityCalls: number;
}

interface Engine {
  readonly id: EngineId;
  readonly label: string;
  readonly runtime: string;
  readonly store: string;
  run(workload: Workload, inputs: readonly WorkInput[], tag: string): Promise<BatchOutcome>;
  /** History length of a finished instance (events), where the engine exposes it. */
  historyLength(instanceId: string): number | undefined;
  close(): Promise<void>;
}

export interface ThroughputResult {
  readonly engine: EngineId;
  readonly label: string;
  readonly runtime: string;
  readonly store: string;
  readonly workload: Workload;
  readonly instancesPerBatch: number;
  readonly activitiesPerInstance: number;
  readonly roundsMs: readonly number[];
  readonly medianMs: number;
  readonly orchestrationsPerSecond: number;
  readonly activitiesPerSecond: number;
}

export interface RatioResult {
  readonly workload: Workload;
  readonly ours: EngineId;
  readonly peer: EngineId;
  /** Median over rounds of ours/peer measured back to back (above 1: ours completes more per second). */
  readonly ratio: number;
  /** ours/peer within each round, for the spread. */
  readonly perRound: readonly number[];
  /** ours/peer of the median throughputs (medians may come from different rounds). */
  readonly ratioOfMedians: number;
}

export interface ScalingResult {
  readonly engine: EngineId;
  readonly activities: number;
  readonly repetitions: number;
  readonly runsMs: readonly number[];
  readonly medianMs: number;
  readonly perActivityMs: number;
  readonly historyEvents: number | undefined;
  /** log(t/t_prev) / log(n/n_prev): 1 is linear growth, 2 quadratic. */
  readonly growthExponent: number | undefined;
}

export interface DurableBenchData {
  readonly settings: Record<string, unknown>;
  readonly throughput: readonly ThroughputResult[];
  readonly ratios: readonly RatioResult[];
  readonly scaling: readonly ScalingResult[];
}

// ------------------------------------------------------------------ helpers

const noop = (): void => undefined;

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000}s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const batchTimeoutMs = 120_000;

/** What a correct orchestration over `input` returns: the sum of base+i for i < n. */
function expectedSum({ base, n }: WorkInput): number {
  return n * base + (n * (n - 1)) / 2;
}

function inputsFor(count: number, n: number): WorkInput[] {
  return Array.from({ length: count }, (_, i) => ({ base: (i + 1) * 1_000_000, n }));
}

export class BenchVerificationError extends Error {}

function verify(engine: Engine, tag: string, inputs: readonly WorkInput[], outcome: BatchOutcome): void {
  const problems: string[] = [];
  if (outcome.results.length !== inputs.length) {
    problems.push(`${outcome.results.length} results for ${inputs.length} instances`);
  }
  outcome.results.forEach((result, i) => {
    const input = inputs[i]!;
    if (result.status !== 'Completed') problems.push(`${result.id}: status ${result.status}`);
    else if (result.output !== expectedSum(input)) {
      problems.push(`${result.id}: output ${JSON.stringify(result.output)}, expected ${expectedSum(input)}`);
    }
  });
  const scheduled = inputs.reduce((sum, input) => sum + input.n, 0);
  if (outcome.activityCalls !== scheduled) {
    problems.push(`activities ran ${outcome.activityCalls} times, ${scheduled} were scheduled`);
  }
  if (problems.length > 0) {
    throw new BenchVerificationError(
      `${engine.label}, batch ${tag}: wrong results (${problems.length} problem(s)):\n  ${problems.slice(0, 10).join('\n  ')}`,
    );
  }
}

/** Runs a batch and checks every answer. */
async function measure(
  engine: Engine,
  workload: Workload,
  inputs: readonly WorkInput[],
  tag: string,
): Promise<number> {
  const outcome = await withTimeout(
    engine.run(workload, inputs, tag),
    batchTimeoutMs,
    `${engine.label} batch ${tag}`,
  );
  verify(engine, tag, inputs, outcome);
  return outcome.elapsedMs;
}

// ------------------------------------------------------------------ our runtime

const aosNames: Record<Workload, string> = { sequence: 'benchSequence', fanout: 'benchFanOut' };

class AosEngine implements Engine {
  readonly runtime = 'aos local Durable runtime';
  #calls = 0;
  #host!: TestHost;
  readonly #history = new Map<string, number>();

  private constructor(
    readonly id: EngineId,
    readonly label: string,
    readonly store: string,
  ) {}

  static async create(id: EngineId, label: string, store: DurableStore): Promise<AosEngine> {
    const engine = new AosEngine(id, label, store.kind);
    engine.#host = await createTestHost({
      clock: 'real',
      logLevel: 'error',
      store,
      app: {
        name: `bench-${id}`,
        hostJson: { version: '2.0', extensions: { durableTask: { ...concurrency } } },
        register: () => engine.register(),
      },
    });
    return engine;
  }

  private register(): void {
    df.app.activity('benchEcho', {
      handler: (value: number) => {
        this.#calls += 1;
        return value;
      },
    });
    df.app.orchestration(aosNames.sequence, function* (context: OrchestrationContext) {
      const { base, n } = context.df.getInput<WorkInput>();
      let sum = 0;
      for (let i = 0; i < n; i++) sum += (yield context.df.callActivity('benchEcho', base + i)) as number;
      return sum;
    });
    df.app.orchestration(aosNames.fanout, function* (context: OrchestrationContext) {
      const { base, n } = context.df.getInput<WorkInput>();
      const tasks = Array.from({ length: n }, (_, i) => context.df.callActivity('benchEcho', base + i));
      const values = (yield context.df.Task.all(tasks)) as number[];
      return values.reduce((sum, value) => sum + value, 0);
    });
  }

  async run(workload: Workload, inputs: readonly WorkInput[], tag: string): Promise<BatchOutcome> {
    const host = this.#host;
    this.#calls = 0;
    const started = performance.now();
    const ids = await Promise.all(
      inputs.map((input, i) => host.startNew(aosNames[workload], { input, instanceId: `${tag}-${i}` })),
    );
    // Nothing here waits on timers or events, so idle means every instance has finished.
    await host.whenIdle();
    for (const id of ids) {
      const status = host.getStatus(id)?.runtimeStatus;
      if (status !== 'Completed' && status !== 'Failed' && status !== 'Terminated') {
        // Should not happen; if it does, wait for real rather than measure early.
        await host.waitForCompletion(id, { timeoutMs: batchTimeoutMs });
      }
    }
    const elapsedMs = performance.now() - started;
    const results = ids.map((id) => {
      const status = host.getStatus(id);
      return { id, status: status?.runtimeStatus ?? 'missing', output: status?.output };
    });
    const activityCalls = this.#calls;
    // Kept for single-instance batches (the scaling runs) only.
    if (ids.length === 1) this.#history.set(ids[0]!, host.history(ids[0]!).length);
    // Purged after every batch (untimed), as on the peer, so neither engine carries
    // the last batches' instances into the next one's heap and GC.
    await host.runtime.purgeWhere({ instanceIdPrefix: `${tag}-` });
    return { elapsedMs, results, activityCalls };
  }

  historyLength(instanceId: string): number | undefined {
    return this.#history.get(instanceId);
  }

  close(): Promise<void> {
    return this.#host.stop();
  }
}

// ------------------------------------------------------------------ durabletask-js (peer)

const peerNames: Record<Workload, string> = { sequence: 'sequence', fanout: 'fanout' };

/**
 * durabletask-js's own in-process test stack: InMemoryOrchestrationBackend driven
 * by TestOrchestrationWorker. The worker takes one work item at a time (it has no
 * concurrency setting) and logs every step through console.info/debug with no way
 * to pass a logger, so those two (and console.log) are silenced while it runs,
 * as our runtime runs with logLevel 'error'. It is started for its own batches only:
 * when idle it polls with setImmediate, which would steal CPU from the others.
 */
class PeerEngine implements Engine {
  readonly id = 'peer' as const;
  readonly label = 'durabletask-js (in-memory backend)';
  readonly runtime = '@microsoft/durabletask-js 0.4.0';
  readonly store = 'InMemoryOrchestrationBackend';
  #calls = 0;
  readonly #backend = new InMemoryOrchestrationBackend();
  readonly #worker = new TestOrchestrationWorker(this.#backend);
  readonly #client = new TestOrchestrationClient(this.#backend);
  readonly #history = new Map<string, number>();

  constructor() {
    this.#worker.addNamedActivity('echo', (_context, value: number) => {
      this.#calls += 1;
      return value;
    });
    // Its orchestrators must be async generators; a plain generator is taken as a result.
    this.#worker.addNamedOrchestrator(
      peerNames.sequence,
      async function* (
        context: PeerContext,
        input: WorkInput,
      ): AsyncGenerator<PeerTask<number>, number, number> {
        let sum = 0;
        for (let i = 0; i < input.n; i++)
          sum += yield context.callActivity<number, number>('echo', input.base + i);
        return sum;
      },
    );
    this.#worker.addNamedOrchestrator(
      peerNames.fanout,
      async function* (
        context: PeerContext,
        input: WorkInput,
      ): AsyncGenerator<PeerTask<number[]>, number, number[]> {
        const tasks = Array.from({ length: input.n }, (_, i) =>
          context.callActivity<number, number>('echo', input.base + i),
        );
        const values = yield whenAll(tasks);
        return values.reduce((sum, value) => sum + value, 0);
      },
    );
  }

  async run(workload: Workload, inputs: readonly WorkInput[], tag: string): Promise<BatchOutcome> {
    this.#calls = 0;
    const restore = silenceConsole();
    try {
      await this.#worker.start();
      const started = performance.now();
      const ids = await Promise.all(
        inputs.map((input, i) =>
          this.#client.scheduleNewOrchestration(peerNames[workload], input, `${tag}-${i}`),
        ),
      );
      const states = await Promise.all(
        ids.map((id) => this.#client.waitForOrchestrationCompletion(id, true, batchTimeoutMs / 1000)),
      );
      const elapsedMs = performance.now() - started;
      const results = states.map((state, i) => ({
        id: ids[i]!,
        status: state ? peerStatus(state.runtimeStatus) : 'missing',
        output:
          state?.serializedOutput === undefined ? undefined : (JSON.parse(state.serializedOutput) as unknown),
      }));
      // Kept for single-instance batches (the scaling runs) only.
      if (ids.length === 1)
        this.#history.set(ids[0]!, this.#backend.getInstance(ids[0]!)?.history.length ?? 0);
      // Purged after every batch (untimed), as on our runtime.
      for (const id of ids) this.#backend.purge(id);
      return { elapsedMs, results, activityCalls: this.#calls };
    } finally {
      await this.#worker.stop();
      restore();
    }
  }

  historyLength(instanceId: string): number | undefined {
    return this.#history.get(instanceId);
  }

  async close(): Promise<void> {
    await this.#worker.stop();
    this.#backend.reset();
  }
}

function peerStatus(status: OrchestrationStatus): string {
  switch (status) {
    case OrchestrationStatus.COMPLETED:
      return 'Completed';
    case OrchestrationStatus.FAILED:
      return 'Failed';
    case OrchestrationStatus.TERMINATED:
      return 'Terminated';
    default:
      return OrchestrationStatus[status] ?? String(status);
  }
}

function silenceConsole(): () => void {
  const saved = { log: console.log, info: console.info, debug: console.debug };
  console.log = noop;
  console.info = noop;
  console.debug = noop;
  return () => Object.assign(console, saved);
}

// ------------------------------------------------------------------ plan

interface Plan {
  readonly rounds: number;
  /** Instances per batch by workload and engine. */
  readonly batch: Record<Workload, Record<EngineId, number>>;
  readonly activities: Record<Workload, number>;
  readonly scaling: readonly { readonly n: number; readonly repetitions: number }[];
}

function planFor(quick: boolean): Plan {
  return quick
    ? {
        rounds: 1,
        activities: { sequence: 5, fanout: 100 },
        batch: {
          sequence: { 'aos-memory': 40, 'aos-azurite': 10, peer: 40 },
          fanout: { 'aos-memory': 4, 'aos-azurite': 1, peer: 4 },
        },
        scaling: [
          { n: 10, repetitions: 3 },
          { n: 100, repetitions: 1 },
        ],
      }
    : {
        rounds: 5,
        activities: { sequence: 5, fanout: 100 },
        // Azurite is saturated well below these sizes (its rate hardly depends on N); smaller keeps the run short.
        batch: {
          sequence: { 'aos-memory': 200, 'aos-azurite': 100, peer: 200 },
          fanout: { 'aos-memory': 20, 'aos-azurite': 5, peer: 20 },
        },
        scaling: [
          { n: 10, repetitions: 9 },
          { n: 100, repetitions: 5 },
          { n: 1000, repetitions: 1 },
        ],
      };
}

// ------------------------------------------------------------------ suite

export async function runDurableBench(
  options: DurableBenchOptions = {},
): Promise<SuiteReport<DurableBenchData>> {
  const log = options.log ?? noop;
  const quick = options.quick ?? false;
  const parts = new Set(options.parts ?? ['throughput', 'scaling']);
  const plan = planFor(quick);
  const engines: Engine[] = [];
  let azurite: RunningAzurite | undefined;
  let tableStore: TableDurableStore | undefined;
  try {
    const memory = await AosEngine.create(
      'aos-memory',
      'aos runtime, memory store',
      new MemoryDurableStore(),
    );
    engines.push(memory);
    const peer = new PeerEngine();
    engines.push(peer);

    const throughput: ThroughputResult[] = [];
    const ratios: RatioResult[] = [];
    if (parts.has('throughput')) {
      if (options.azurite ?? true) {
        log('starting Azurite (in memory)...');
        azurite = await startAzurite();
        tableStore = await TableDurableStore.create({
          connectionString: azuriteConnectionString(azurite.ports),
          taskHub: `bench${Date.now().toString(36)}`,
        });
        engines.push(await AosEngine.create('aos-azurite', 'aos runtime, Table store (Azurite)', tableStore));
      }
      const measured = await runThroughput(engines, plan, log);
      throughput.push(...measured.throughput);
      ratios.push(...measured.ratios);
    }

    const scaling: ScalingResult[] = [];
    if (parts.has('scaling')) scaling.push(...(await runScaling([memory, peer], plan, log)));

    const data: DurableBenchData = {
      settings: {
        quick,
        parts: [...parts],
        clock: 'real',
        logLevel: 'error',
        hostJson: { extensions: { durableTask: concurrency } },
        peerConcurrency:
          'TestOrchestrationWorker runs one work item at a time; it has no concurrency setting',
        rounds: plan.rounds,
        batch: plan.batch,
        activitiesPerInstance: plan.activities,
        warmup: 'one unmeasured batch of the measured size per engine and workload',
        activity:
          'returns its input (a number); orchestrations return the sum, checked against n*base + n(n-1)/2',
      },
      throughput,
      ratios,
      scaling,
    };
    return { suite: 'durable', tables: tables(data), data };
  } finally {
    for (const engine of engines.reverse()) await engine.close().catch(noop);
    await tableStore?.deleteTaskHub().catch(noop);
    await azurite?.stop();
  }
}

async function runThroughput(
  engines: readonly Engine[],
  plan: Plan,
  log: ProgressLog,
): Promise<{ throughput: ThroughputResult[]; ratios: RatioResult[] }> {
  const throughput: ThroughputResult[] = [];
  const ratios: RatioResult[] = [];
  for (const workload of ['sequence', 'fanout'] as const) {
    const n = plan.activities[workload];
    for (const engine of engines) {
      log(`${workload}: warming up ${engine.label}`);
      // One unmeasured batch of the measured size: JIT, pools and (for Azurite) tables warm.
      const count = plan.batch[workload][engine.id];
      await measure(engine, workload, inputsFor(count, n), `warm-${workload}-${engine.id}`);
    }
    const rounds = new Map<EngineId, number[]>(engines.map((e) => [e.id, []]));
    for (let round = 0; round < plan.rounds; round++) {
      // Rotate the order so no engine always runs first (or right after Azurite's GC-heavy batch).
      const order = engines.map((_, i) => engines[(i + round) % engines.length]!);
      for (const engine of order) {
        const count = plan.batch[workload][engine.id];
        const ms = await measure(engine, workload, inputsFor(count, n), `${workload}-${engine.id}-r${round}`);
        rounds.get(engine.id)!.push(ms);
        log(`${workload} round ${round + 1}/${plan.rounds}: ${engine.label}: ${count} in ${fmt(ms)} ms`);
      }
    }
    const perSecond = (engine: Engine, ms: number) => (plan.batch[workload][engine.id] * 1000) / ms;
    for (const engine of engines) {
      const ms = rounds.get(engine.id)!;
      const mid = median(ms);
      const count = plan.batch[workload][engine.id];
      throughput.push({
        engine: engine.id,
        label: engine.label,
        runtime: engine.runtime,
        store: engine.store,
        workload,
        instancesPerBatch: count,
        activitiesPerInstance: n,
        roundsMs: ms.map((v) => round(v, 1)),
        medianMs: round(mid, 1),
        orchestrationsPerSecond: round((count * 1000) / mid, 2),
        activitiesPerSecond: round((count * n * 1000) / mid, 1),
      });
    }
    const peer = engines.find((e) => e.id === 'peer')!;
    for (const ours of engines.filter((e) => e.id !== 'peer')) {
      const oursMs = rounds.get(ours.id)!;
      const peerMs = rounds.get(peer.id)!;
      const perRound = oursMs.map((ms, i) => perSecond(ours, ms) / perSecond(peer, peerMs[i]!));
      ratios.push({
        workload,
        ours: ours.id,
        peer: peer.id,
        ratio: round(median(perRound), 4),
        perRound: perRound.map((v) => round(v, 4)),
        ratioOfMedians: round(perSecond(ours, median(oursMs)) / perSecond(peer, median(peerMs)), 4),
      });
    }
  }
  return { throughput, ratios };
}

async function runScaling(
  engines: readonly Engine[],
  plan: Plan,
  log: ProgressLog,
): Promise<ScalingResult[]> {
  const results: ScalingResult[] = [];
  for (const engine of engines) {
    log(`scaling: warming up ${engine.label}`);
    await measure(engine, 'sequence', inputsFor(20, 10), `warm-scale-${engine.id}-a`);
    for (let i = 0; i < 5; i++)
      await measure(engine, 'sequence', inputsFor(1, 50), `warm-scale-${engine.id}-b${i}`);
    let previous: { n: number; ms: number } | undefined;
    for (const { n, repetitions } of plan.scaling) {
      const runs: number[] = [];
      let lastTag = '';
      for (let rep = 0; rep < repetitions; rep++) {
        lastTag = `scale-${engine.id}-${n}-${rep}`;
        runs.push(await measure(engine, 'sequence', inputsFor(1, n), lastTag));
      }
      const mid = median(runs);
      log(
        `scaling: ${engine.label}: ${n} sequential activities in ${fmt(mid)} ms (median of ${repetitions})`,
      );
      results.push({
        engine: engine.id,
        activities: n,
        repetitions,
        runsMs: runs.map((v) => round(v, 2)),
        medianMs: round(mid, 2),
        perActivityMs: round(mid / n, 4),
        historyEvents: engine.historyLength(`${lastTag}-0`),
        growthExponent: previous
          ? round(Math.log(mid / previous.ms) / Math.log(n / previous.n), 2)
          : undefined,
      });
      previous = { n, ms: mid };
    }
  }
  return results;
}

// ------------------------------------------------------------------ tables

const engineLabels: Record<EngineId, string> = {
  'aos-memory': 'aos, memory store',
  'aos-azurite': 'aos, Table store (Azurite)',
  peer: 'durabletask-js in-memory',
};

function tables(data: DurableBenchData): Table[] {
  const out: Table[] = [];
  if (data.throughput.length > 0) {
    out.push({
      title: 'Durable throughput (orchestrations completed per second; median of rounds)',
      columns: ['workload', 'engine', 'batch', 'median ms', 'orch/s', 'activities/s'],
      rows: data.throughput.map((t) => [
        t.workload === 'sequence'
          ? `sequence of ${t.activitiesPerInstance}`
          : `fan-out ${t.activitiesPerInstance}`,
        engineLabels[t.engine],
        String(t.instancesPerBatch),
        fmt(t.medianMs),
        fmt(t.orchestrationsPerSecond),
        fmt(t.activitiesPerSecond),
      ]),
      notes: [
        `aos: host.json maxConcurrentActivityFunctions ${concurrency.maxConcurrentActivityFunctions}, maxConcurrentOrchestratorFunctions ${concurrency.maxConcurrentOrchestratorFunctions}; durabletask-js: one work item at a time (no setting).`,
      ],
    });
    out.push({
      title: 'Ratios ours/peer (orch/s; above 1 = ours faster; median of the per-round ratios)',
      columns: ['workload', 'ours', 'ratio', 'per round'],
      rows: data.ratios.map((r) => [
        r.workload,
        engineLabels[r.ours],
        `${fmt(r.ratio)}x`,
        r.perRound.map((v) => fmt(v)).join(' '),
      ]),
    });
  }
  if (data.scaling.length > 0) {
    out.push({
      title: 'One orchestration, N sequential activities (median wall time)',
      columns: ['engine', 'N', 'runs', 'ms/orch', 'ms/activity', 'history', 'growth k'],
      rows: data.scaling.map((s) => [
        engineLabels[s.engine],
        String(s.activities),
        String(s.repetitions),
        fmt(s.medianMs),
        fmt(s.perActivityMs),
        s.historyEvents === undefined ? '-' : String(s.historyEvents),
        s.growthExponent === undefined ? '-' : fmt(s.growthExponent, 2),
      ]),
      notes: ['growth k: time ~ N^k between this row and the previous (1 = linear, 2 = quadratic).'],
    });
  }
  return out;
}
