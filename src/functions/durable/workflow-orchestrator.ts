import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { AgentTask } from '../../kernel/agents';
import type { StepResult as ExecutorResult } from '../../kernel/executor';
import type { WorkflowInput, WorkflowOutput } from '../../kernel/orchestrations';
import { workflowEvents, workflowOrchestratorName } from '../../kernel/orchestrations';
import type {
  ApprovalDecision,
  CollaborativeState,
  DagState,
  OrchestrationCustomStatus,
  PostedMessage,
  StepDefinition,
  StepResult,
  WorkflowPlan,
} from '../../kernel/workflows';
import {
  aggregateResults,
  approvalDeadline,
  approvalOutcome,
  completedStep,
  continueAsNewState,
  dagStepInput,
  delegateInput,
  delegationFrom,
  emptyDagState,
  failedStep,
  initialCollaborativeState,
  integrationInput,
  isFinished,
  markRunning,
  markSettled,
  nextTurn,
  parallelInput,
  readySteps,
  requestStop,
  sequentialInput,
  shouldContinueAsNew,
  skippedStep,
  stepsToSkip,
  stepValue,
} from '../../kernel/workflows';
import { activityNames } from './activity-names';
import type { CollaborativeTurnResult, NotifyInput } from './activity-names';

/**
 * The kernel's one orchestrator: it walks a validated workflow plan. Every
 * decision comes from the pure functions in kernel/workflows; this generator only
 * sequences activities, timers, sub-orchestrations and events. No clock, I/O,
 * randomness or environment reads: time is context.df.currentUtcDateTime.
 */

type Gen<T> = Generator<Task, T, unknown>;

const notifyRetry = new df.RetryOptions(2000, 5);
notifyRetry.backoffCoefficient = 2;
notifyRetry.maxRetryIntervalInMilliseconds = 60_000;

interface Run {
  readonly context: OrchestrationContext;
  readonly input: WorkflowInput;
  readonly stop: Task;
  stopRequested: boolean;
  status: OrchestrationCustomStatus;
}

function publish(run: Run, patch: Partial<OrchestrationCustomStatus>): void {
  run.status = { ...run.status, ...patch };
  run.context.df.setCustomStatus(run.status);
}

function task(run: Run, step: string, agentId: string, input: unknown, suffix = ''): AgentTask {
  const { input: workflow } = run;
  return {
    task_id: `${workflow.orchestration_id}:${step}${suffix}`,
    orchestration_id: workflow.orchestration_id,
    ...(workflow.app_id === undefined ? {} : { app_id: workflow.app_id }),
    agent_id: agentId,
    workflow: workflow.plan.kind,
    step,
    purpose: workflow.purpose,
    input,
    context: workflow.context,
  };
}

/** Waits for `work`; a stop request noted meanwhile lets the current step finish first. */
function* finishing<T>(run: Run, work: Task): Gen<T> {
  if (!run.stopRequested) {
    const winner = yield run.context.df.Task.any([work, run.stop]);
    if (winner === run.stop) {
      run.stopRequested = true;
      publish(run, { stop_requested: true });
    }
  }
  if (!work.isCompleted && !work.isFaulted) yield work;
  return work.result as T;
}

/** Turns the executor's answer (maybe a 202 awaiting a late reply) into a step result. */
function* settleAgent(run: Run, stepId: string, agentId: string, result: ExecutorResult): Gen<StepResult> {
  if (result.status === 'succeeded') {
    return completedStep(stepId, agentId, {
      message: result.message ?? '',
      ...(result.output === undefined ? {} : { output: result.output }),
      ...(result.route === undefined ? {} : { route: result.route }),
    });
  }
  if (result.status === 'pending') {
    const { context } = run;
    const reply = context.df.waitForExternalEvent(workflowEvents.reply(result.task_id));
    const deadline = context.df.createTimer(
      new Date(context.df.currentUtcDateTime.getTime() + run.input.reply_timeout_seconds * 1000),
    );
    const winner = yield context.df.Task.any([reply, deadline]);
    if (winner === reply) {
      deadline.cancel();
      const answer = reply.result as { message: string; output?: unknown; route?: string };
      return completedStep(stepId, agentId, answer);
    }
    return failedStep(
      stepId,
      agentId,
      `no reply within ${run.input.reply_timeout_seconds} s after the agent accepted the task`,
    );
  }
  const error = result.error ? `${result.error.code}: ${result.error.message}` : result.status;
  return failedStep(stepId, agentId, error);
}

function callAgent(run: Run, stepId: string, agentId: string, input: unknown): Task {
  return run.context.df.callActivity(activityNames.executeAgent, {
    task: task(run, stepId, agentId, input),
    traceparent: run.input.traceparent,
  });
}

/** One step's task for a wave, and how to read its result once the wave is done. */
function startStep(
  run: Run,
  step: StepDefinition,
  input: unknown,
): { task: Task; settle: (task: Task) => Gen<StepResult> } {
  const { context } = run;
  switch (step.kind) {
    case 'agent': {
      const work = callAgent(run, step.id, step.agent_id, input);
      return {
        task: work,
        settle: (t) => settleAgent(run, step.id, step.agent_id, t.result as ExecutorResult),
      };
    }
    case 'approval': {
      const deadline = approvalDeadline(step, context.df.currentUtcDateTime);
      publish(run, {
        phase: 'awaiting_approval',
        waiting_for: { step_id: step.id, approvers: [...step.approvers], deadline: deadline.toISOString() },
      });
      const decision = context.df.waitForExternalEvent(workflowEvents.approval(step.id));
      const timer = context.df.createTimer(deadline);
      const gate = context.df.Task.any([decision, timer]);
      return {
        task: gate,
        // eslint-disable-next-line require-yield -- no further waiting; a generator keeps one shape for every step kind
        settle: function* () {
          const decided = decision.isCompleted;
          if (decided) timer.cancel();
          const outcome = approvalOutcome({
            ...(decided ? { decision: decision.result as ApprovalDecision } : {}),
            timed_out: !decided,
            default_outcome: step.default_outcome,
          });
          const { waiting_for: _done, ...rest } = run.status;
          run.status = { ...rest, phase: 'running' };
          context.df.setCustomStatus(run.status);
          return outcome.outcome === 'approved'
            ? {
                step_id: step.id,
                agent_id: null,
                status: 'completed',
                message: `approved by ${outcome.decided_by}`,
                output: outcome,
              }
            : {
                step_id: step.id,
                agent_id: null,
                status: 'rejected',
                message: `rejected by ${outcome.decided_by}`,
                output: outcome,
              };
        },
      };
    }
    case 'workflow': {
      const childId = `${run.input.orchestration_id}:${step.id}`;
      const child: WorkflowInput = {
        ...run.input,
        orchestration_id: childId,
        plan: step.plan,
        context: (input !== null && typeof input === 'object' ? input : { input }) as Record<string, unknown>,
        callback_url: null,
        parent: { orchestration_id: run.input.orchestration_id, step_id: step.id },
        collaborative: null,
      };
      const work = context.df.callSubOrchestrator(workflowOrchestratorName, child, childId);
      return {
        task: work,
        // eslint-disable-next-line require-yield -- see above
        settle: function* (t) {
          if (t.isFaulted)
            return failedStep(
              step.id,
              null,
              `sub-workflow failed: ${String((t.result as Error)?.message ?? t.result)}`,
            );
          const output = t.result as WorkflowOutput;
          return output.status === 'completed'
            ? { step_id: step.id, agent_id: null, status: 'completed', message: output.summary, output }
            : failedStep(step.id, null, `sub-workflow ${output.ended_by}: ${output.summary}`);
        },
      };
    }
  }
}

function inputFor(
  plan: WorkflowPlan,
  step: StepDefinition,
  results: StepResult[],
  context: Record<string, unknown>,
): unknown {
  switch (plan.kind) {
    case 'sequential':
      return sequentialInput(plan, step, results, context);
    case 'parallel':
      return parallelInput(step, context);
    default:
      return dagStepInput(step, results, context);
  }
}

/** sequential, parallel and dag: ready steps run together in waves until the plan is done. */
function* runSteps(run: Run): Gen<{ results: StepResult[]; ended_by: WorkflowOutput['ended_by'] }> {
  const { plan } = run.input;
  let state: DagState = emptyDagState;
  const results: StepResult[] = [];
  const context = { ...run.input.context };
  publish(run, { phase: 'running', completed_steps: 0, total_steps: plan.steps.length });
  while (!isFinished(plan, state)) {
    for (const skipped of stepsToSkip(plan, state)) {
      results.push(skippedStep(skipped, 'a step it depends on failed or was rejected'));
      state = markSettled(state, skipped.id, 'skipped');
    }
    if (run.stopRequested) break;
    const ready = readySteps(plan, state);
    if (ready.length === 0) break;
    state = markRunning(
      state,
      ready.map((s) => s.id),
    );
    publish(run, { running_steps: ready.map((s) => s.id), current_step: ready[0]!.id });
    const started = ready.map((step) => ({
      step,
      ...startStep(run, step, inputFor(plan, step, results, context)),
    }));
    yield* finishing<unknown>(run, run.context.df.Task.all(started.map((s) => s.task)));
    for (const { step, task: done, settle } of started) {
      const result = yield* settle(done);
      results.push(result);
      state = markSettled(
        state,
        step.id,
        result.status === 'completed' ? 'completed' : result.status === 'skipped' ? 'skipped' : 'failed',
      );
    }
    publish(run, {
      completed_steps: state.completed.length + state.failed.length + state.skipped.length,
      running_steps: [],
    });
  }
  return { results, ended_by: run.stopRequested && !isFinished(plan, state) ? 'stopped' : 'completed' };
}

/** hierarchical: the coordinator delegates, specialists work in parallel, the coordinator integrates. */
function* runHierarchical(run: Run): Gen<{ results: StepResult[]; ended_by: WorkflowOutput['ended_by'] }> {
  const { plan } = run.input;
  const coordinator = plan.coordinator ?? plan.agent_ids[0]!;
  const results: StepResult[] = [];
  publish(run, { phase: 'delegating', current_step: 'delegate' });
  const delegation = yield* finishing<ExecutorResult>(
    run,
    callAgent(run, 'delegate', coordinator, delegateInput(plan, run.input.purpose)),
  );
  const delegated = yield* settleAgent(run, 'delegate', coordinator, delegation);
  results.push(delegated);
  if (delegated.status !== 'completed' || run.stopRequested) {
    return { results, ended_by: run.stopRequested ? 'stopped' : 'completed' };
  }
  const { delegations } = delegationFrom(
    { message: delegated.message ?? '', output: delegated.output },
    plan,
  );
  publish(run, { phase: 'specialists', total_steps: delegations.length + 2, completed_steps: 1 });
  const work = delegations.map((d) => ({ d, task: callAgent(run, d.step_id, d.agent_id, d.input) }));
  yield* finishing<unknown>(run, run.context.df.Task.all(work.map((w) => w.task)));
  for (const { d, task: done } of work)
    results.push(yield* settleAgent(run, d.step_id, d.agent_id, done.result as ExecutorResult));
  if (run.stopRequested) return { results, ended_by: 'stopped' };
  publish(run, { phase: 'integrating', completed_steps: delegations.length + 1, current_step: 'integrate' });
  const specialistResults = results.filter((r) => r.step_id !== 'delegate');
  const integration = yield* finishing<ExecutorResult>(
    run,
    callAgent(run, 'integrate', coordinator, integrationInput(specialistResults)),
  );
  results.push(yield* settleAgent(run, 'integrate', coordinator, integration));
  publish(run, { completed_steps: delegations.length + 2 });
  return { results, ended_by: 'completed' };
}

/** collaborative: perpetual turns; history stays bounded with continueAsNew, the transcript lives in Blob. */
function* runCollaborative(
  run: Run,
): Gen<
  { results: StepResult[]; ended_by: WorkflowOutput['ended_by']; state: CollaborativeState } | undefined
> {
  const { plan } = run.input;
  let state: CollaborativeState = run.input.collaborative ?? initialCollaborativeState(plan);
  for (;;) {
    const speaker = state.next_speaker ?? plan.agent_ids[0]!;
    publish(run, {
      phase: 'running',
      turn: state.turn,
      next_speaker: speaker,
      transcript_length: state.transcript_length,
    });
    const turn = (yield run.context.df.callActivity(activityNames.collaborativeTurn, {
      task: task(run, `turn-${state.turn + 1}`, speaker, null),
      traceparent: run.input.traceparent,
      transcript_from: state.transcript_length,
      turn: state.turn + 1,
    })) as CollaborativeTurnResult;
    let reply =
      turn.result.status === 'succeeded'
        ? {
            message: turn.result.message ?? '',
            output: turn.result.output,
            ...(turn.result.route ? { route: turn.result.route } : {}),
          }
        : null;
    if (turn.result.status === 'pending') {
      const settled = yield* settleAgent(run, `turn-${state.turn + 1}`, speaker, turn.result);
      reply =
        settled.status === 'completed' ? { message: settled.message ?? '', output: settled.output } : null;
    }
    if (turn.stop_requested || run.stop.isCompleted) state = requestStop(state);
    const posted: PostedMessage[] = turn.posted;
    const decision = nextTurn(state, { agents: plan.agent_ids, reply, posted, max_turns: plan.max_turns });
    state = { ...decision.state, transcript_length: turn.transcript_length };
    if (decision.done) {
      return {
        results: [
          {
            step_id: `turn-${state.turn}`,
            agent_id: speaker,
            status: 'completed',
            message: reply?.message ?? '',
          },
        ],
        ended_by: decision.done.reason,
        state,
      };
    }
    if (shouldContinueAsNew(state, plan.turns_per_execution)) {
      run.context.df.continueAsNew({ ...run.input, collaborative: continueAsNewState(state) });
      return undefined;
    }
  }
}

function* notify(
  run: Run,
  event: NotifyInput['event'],
  status: string,
  payload: unknown,
): Gen<string | undefined> {
  if (!run.input.callback_url) return undefined;
  const input: NotifyInput = {
    url: run.input.callback_url,
    event,
    orchestration_id: run.input.orchestration_id,
    status,
    payload,
    sent_at: run.context.df.currentUtcDateTime.toISOString(),
  };
  try {
    yield run.context.df.callActivityWithRetry(activityNames.notify, notifyRetry, input);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function summaryOf(result: StepResult | undefined): string {
  if (!result) return '';
  if (result.message !== undefined) return result.message;
  const value = stepValue(result);
  return typeof value === 'string' ? value : JSON.stringify(value ?? '');
}

export function* workflowOrchestrator(context: OrchestrationContext): Gen<WorkflowOutput | undefined> {
  const input = context.df.getInput<WorkflowInput>();
  const startedAt = context.df.currentUtcDateTime.toISOString();
  const run: Run = {
    context,
    input,
    stop: context.df.waitForExternalEvent(workflowEvents.stop),
    stopRequested: false,
    status: { phase: 'starting', workflow: input.plan.kind },
  };
  context.df.setCustomStatus(run.status);
  if (input.collaborative === null)
    yield* notify(run, 'status_changed', 'active', { workflow: input.plan.kind });

  let outcome: { results: StepResult[]; ended_by: WorkflowOutput['ended_by'] };
  let turns: number | undefined;
  let transcriptLength: number | undefined;
  if (input.plan.kind === 'collaborative') {
    const collaborative = yield* runCollaborative(run);
    if (collaborative === undefined) return undefined; // continued as new
    outcome = collaborative;
    turns = collaborative.state.turn;
    transcriptLength = collaborative.state.transcript_length;
  } else if (input.plan.kind === 'hierarchical') {
    outcome = yield* runHierarchical(run);
  } else {
    outcome = yield* runSteps(run);
  }

  const aggregate = aggregateResults(input.plan, outcome.results);
  const failed = aggregate.status === 'failed' && outcome.ended_by === 'completed';
  const endedBy: WorkflowOutput['ended_by'] = failed ? 'failed' : outcome.ended_by;
  const last = [...outcome.results].reverse().find((r) => r.status === 'completed');
  const summary =
    endedBy === 'failed'
      ? `failed: ${aggregate.failures.map((f) => `${f.step_id}: ${f.error ?? f.status}`).join('; ')}`
      : summaryOf(last);
  const output: WorkflowOutput = {
    ended_by: endedBy,
    status: endedBy === 'failed' ? 'failed' : 'completed',
    results: aggregate.results,
    failures: aggregate.failures,
    summary,
    started_at: startedAt,
    completed_at: context.df.currentUtcDateTime.toISOString(),
    ...(turns === undefined ? {} : { turns }),
    ...(transcriptLength === undefined ? {} : { transcript_length: transcriptLength }),
  };
  publish(run, { phase: 'finished', ended_by: endedBy });
  const contract = endedBy === 'completed' || endedBy === 'max_turns' ? 'completed' : endedBy;
  const callbackError = yield* notify(run, 'completed', contract, output);
  return callbackError ? { ...output, callback_error: callbackError } : output;
}

df.app.orchestration(workflowOrchestratorName, workflowOrchestrator);
