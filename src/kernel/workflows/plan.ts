import { z } from 'zod';
import type { FieldError } from '../errors';
import { KernelError } from '../errors';
import type { OrchestrationRequest } from './request';
import { idSchema, workflowKinds } from './request';
import type { StepDefinition, WorkflowKind, WorkflowPlan } from './types';

/**
 * Plans: a request's `config` checked against its workflow and turned into a
 * WorkflowPlan. Every fault is collected and reported at once as field errors
 * (`config.steps.2.depends_on.0`, in the body), so a client fixes a request in one
 * round trip.
 *
 * Choices worth knowing:
 * - `sequential` and `parallel` take optional `steps`; without them there is one
 *   agent step per agent id, in order, with the agent id as step id. Their steps
 *   must not name `depends_on`: order is the list order (sequential) or none
 *   (parallel); dependencies are what `dag` is for. In the plan, sequential steps
 *   depend on the step before them, so the dag functions walk both.
 * - `hierarchical` and `collaborative` take their agents from agent_ids; `steps`
 *   there is an error rather than silently ignored.
 * - Known config keys are type-checked whatever the workflow; unknown keys pass
 *   (clients keep agent settings in config).
 */

export const stepIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

/** How deep sub-workflows may nest below the top-level plan. */
export const maxSubWorkflowDepth = 3;

export const maxStepsPerPlan = 1000;

export const maxApprovalDeadlineSeconds = 31_536_000;

export const planDefaults = {
  max_turns: 20,
  turns_per_execution: 25,
  on_failure: 'fail',
} as const satisfies Partial<WorkflowPlan>;

/** What a plan is built from: a request, or a sub-workflow step inside one. */
export type PlanInput = Pick<OrchestrationRequest, 'workflow' | 'agent_ids' | 'config'>;

/** Builds the plan for a request; throws `KernelError.validation` naming every faulty field. */
export function buildPlan(request: PlanInput): WorkflowPlan {
  const errors: FieldError[] = [];
  const plan = planAt(request, { base: '', depth: 0, errors });
  if (errors.length > 0) throw KernelError.validation(errors);
  return plan;
}

/** Number of steps when the workflow's length is known up front (for progress), else null. */
export function planLength(plan: WorkflowPlan): number | null {
  switch (plan.kind) {
    case 'sequential':
    case 'parallel':
    case 'dag':
      return plan.steps.length;
    case 'hierarchical':
    case 'collaborative':
      return null;
  }
}

interface Scope {
  /** Field path prefix of this plan's request (`''`, or `config.steps.2.` for a sub-workflow). */
  readonly base: string;
  readonly depth: number;
  readonly errors: FieldError[];
}

function fail(scope: Scope, field: string, message: string, code?: string): void {
  scope.errors.push({
    field: scope.base + field,
    in: 'body',
    message,
    ...(code === undefined ? {} : { code }),
  });
}

function zodFaults(scope: Scope, field: string, error: z.ZodError): void {
  for (const issue of error.issues) {
    const path = [field, ...issue.path.map(String)].filter((part) => part !== '').join('.');
    fail(scope, path, issue.message, issue.code);
  }
}

const configFields = {
  max_turns: z.number().int().min(1).max(10_000),
  turns_per_execution: z.number().int().min(1).max(500),
  on_failure: z.enum(['fail', 'collect'], { error: "must be 'fail' or 'collect'" }),
  coordinator: idSchema,
};

/** Reads one known config key: absent or null → fallback; wrong → a field error and the fallback. */
function configValue<T>(
  scope: Scope,
  config: Readonly<Record<string, unknown>>,
  key: keyof typeof configFields,
  schema: z.ZodType<T>,
  fallback: T,
): T {
  const raw = config[key];
  if (raw === undefined || raw === null) return fallback;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  zodFaults(scope, `config.${key}`, parsed.error);
  return fallback;
}

function planAt(request: PlanInput, scope: Scope): WorkflowPlan {
  const { workflow, agent_ids: agentIds, config } = request;
  const maxTurns = configValue(scope, config, 'max_turns', configFields.max_turns, planDefaults.max_turns);
  const turnsPerExecution = configValue(
    scope,
    config,
    'turns_per_execution',
    configFields.turns_per_execution,
    planDefaults.turns_per_execution,
  );
  const onFailure = configValue(
    scope,
    config,
    'on_failure',
    configFields.on_failure,
    planDefaults.on_failure,
  );
  const coordinatorSetting = configValue<string | undefined>(
    scope,
    config,
    'coordinator',
    configFields.coordinator,
    undefined,
  );

  let coordinator: string | null = null;
  if (workflow === 'hierarchical') {
    coordinator = coordinatorSetting ?? agentIds[0] ?? null;
    if (coordinatorSetting !== undefined && !agentIds.includes(coordinatorSetting)) {
      fail(scope, 'config.coordinator', 'is not one of agent_ids');
    } else if (agentIds.length < 2) {
      fail(scope, 'agent_ids', 'hierarchical needs a coordinator and at least one specialist');
    }
  }

  let steps: StepDefinition[] = [];
  const rawSteps = config['steps'];
  const hasSteps = rawSteps !== undefined && rawSteps !== null;
  switch (workflow) {
    case 'sequential':
    case 'parallel':
      steps = hasSteps ? stepsAt(rawSteps, agentIds, workflow, scope) : stepsFromAgents(agentIds);
      break;
    case 'dag':
      if (hasSteps) steps = stepsAt(rawSteps, agentIds, workflow, scope);
      else fail(scope, 'config.steps', 'is required for the dag workflow');
      break;
    case 'hierarchical':
    case 'collaborative':
      if (hasSteps) {
        fail(
          scope,
          'config.steps',
          `is not used by the ${workflow} workflow, which takes its agents from agent_ids`,
        );
      }
      break;
  }
  if (workflow === 'sequential') steps = chained(steps);

  return {
    kind: workflow,
    agent_ids: agentIds,
    steps,
    on_failure: onFailure,
    coordinator,
    max_turns: maxTurns,
    turns_per_execution: turnsPerExecution,
  };
}

/** One agent step per agent; ids are the agent ids, or `step-N` if an agent appears twice. */
function stepsFromAgents(agentIds: readonly string[]): StepDefinition[] {
  const unique = new Set(agentIds).size === agentIds.length;
  return agentIds.map((agentId, index) => ({
    id: unique ? agentId : `step-${index + 1}`,
    kind: 'agent',
    agent_id: agentId,
    depends_on: [],
  }));
}

/** Sequential order as dependencies: each step waits for the one before it. */
function chained(steps: readonly StepDefinition[]): StepDefinition[] {
  return steps.map((step, index) => {
    const previous = steps[index - 1];
    return { ...step, depends_on: previous === undefined ? [] : [previous.id] };
  });
}

const nonBlank = z.string().regex(/\S/, 'must not be empty');

const stepSchema = z.strictObject({
  id: z.string().regex(stepIdPattern, 'must be 1-64 characters of A-Z a-z 0-9 . _ : -'),
  kind: z
    .enum(['agent', 'approval', 'workflow'], { error: "must be 'agent', 'approval' or 'workflow'" })
    .optional(),
  agent_id: z.string().optional(),
  depends_on: z.array(z.string()).optional(),
  input: z.unknown().optional(),
  prompt: nonBlank.max(4000).optional(),
  approvers: z.array(nonBlank.max(256)).max(100).optional(),
  deadline_seconds: z.number().int().min(1).max(maxApprovalDeadlineSeconds).optional(),
  default_outcome: z.enum(['approved', 'rejected'], { error: "must be 'approved' or 'rejected'" }).optional(),
  workflow: z.enum(workflowKinds, { error: `must be one of ${workflowKinds.join(', ')}` }).optional(),
  agent_ids: z.array(z.string()).optional(),
  config: z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }).optional(),
});

type RawStep = z.output<typeof stepSchema>;
type StepKind = StepDefinition['kind'];

/** Members that belong to one kind of step only; naming them on another kind is a mistake. */
const kindOnly: Readonly<Record<Exclude<keyof RawStep, 'id' | 'kind' | 'depends_on'>, readonly StepKind[]>> =
  {
    agent_id: ['agent'],
    input: ['agent', 'workflow'],
    prompt: ['approval'],
    approvers: ['approval'],
    deadline_seconds: ['approval'],
    default_outcome: ['approval'],
    workflow: ['workflow'],
    agent_ids: ['workflow'],
    config: ['workflow'],
  };

function stepsAt(
  raw: unknown,
  agentIds: readonly string[],
  workflow: WorkflowKind,
  scope: Scope,
): StepDefinition[] {
  const parsedList = z
    .array(z.unknown(), { error: 'must be an array of steps' })
    .min(1, 'must list at least one step')
    .max(maxStepsPerPlan, `must list at most ${maxStepsPerPlan} steps`)
    .safeParse(raw);
  if (!parsedList.success) {
    zodFaults(scope, 'config.steps', parsedList.error);
    return [];
  }
  const rawSteps = parsedList.data;

  // Ids first, from every step that has a usable one, so one malformed step does not
  // turn its dependents' references into "unknown step" noise.
  const firstIndex = new Map<string, number>();
  rawSteps.forEach((item, index) => {
    const id = (item as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && stepIdPattern.test(id) && !firstIndex.has(id)) firstIndex.set(id, index);
  });

  const steps: StepDefinition[] = [];
  const graph: GraphNode[] = [];
  rawSteps.forEach((item, index) => {
    const at = `config.steps.${index}`;
    const parsed = stepSchema.safeParse(item);
    if (!parsed.success) {
      zodFaults(scope, at, parsed.error);
      return;
    }
    const step = parsed.data;
    const first = firstIndex.get(step.id);
    if (first !== undefined && first !== index) {
      fail(scope, `${at}.id`, `repeats the id of config.steps.${first}`);
      return;
    }
    const dependsOn = dependenciesAt(step, at, workflow, firstIndex, scope);
    graph.push({ id: step.id, index, depends_on: step.depends_on ?? [] });
    const built = stepAt(step, at, dependsOn, agentIds, scope);
    if (built !== undefined) steps.push(built);
  });

  if (workflow === 'dag') reportCycles(graph, scope);
  return steps;
}

function dependenciesAt(
  step: RawStep,
  at: string,
  workflow: WorkflowKind,
  known: ReadonlyMap<string, number>,
  scope: Scope,
): string[] {
  const dependsOn = step.depends_on ?? [];
  if (workflow !== 'dag') {
    if (dependsOn.length > 0) {
      fail(
        scope,
        `${at}.depends_on`,
        `is not used by the ${workflow} workflow (${workflow === 'sequential' ? 'steps run in the order listed' : 'steps all run at once'}); use the dag workflow for dependencies`,
      );
    }
    return [];
  }
  const seen = new Set<string>();
  dependsOn.forEach((dependency, position) => {
    if (seen.has(dependency)) fail(scope, `${at}.depends_on.${position}`, `lists '${dependency}' twice`);
    else if (!known.has(dependency))
      fail(scope, `${at}.depends_on.${position}`, `names no step in config.steps`);
    seen.add(dependency);
  });
  return [...seen];
}

function stepAt(
  step: RawStep,
  at: string,
  dependsOn: readonly string[],
  agentIds: readonly string[],
  scope: Scope,
): StepDefinition | undefined {
  const kind: StepKind = step.kind ?? 'agent';
  let misplaced = false;
  for (const [member, kinds] of Object.entries(kindOnly)) {
    if (step[member as keyof typeof kindOnly] !== undefined && !kinds.includes(kind)) {
      fail(scope, `${at}.${member}`, `is not used by ${kind} steps`);
      misplaced = true;
    }
  }

  switch (kind) {
    case 'agent': {
      if (step.agent_id === undefined) {
        fail(scope, `${at}.agent_id`, 'is required for agent steps');
        return undefined;
      }
      if (!agentIds.includes(step.agent_id)) {
        fail(scope, `${at}.agent_id`, `is not one of agent_ids`);
        return undefined;
      }
      if (misplaced) return undefined;
      return {
        id: step.id,
        kind,
        agent_id: step.agent_id,
        depends_on: dependsOn,
        ...(step.input === undefined ? {} : { input: step.input }),
      };
    }
    case 'approval': {
      if (step.deadline_seconds === undefined) {
        fail(scope, `${at}.deadline_seconds`, 'is required for approval steps');
        return undefined;
      }
      if (misplaced) return undefined;
      return {
        id: step.id,
        kind,
        depends_on: dependsOn,
        prompt: step.prompt ?? `Approve step '${step.id}'?`,
        approvers: [...new Set(step.approvers ?? [])],
        deadline_seconds: step.deadline_seconds,
        default_outcome: step.default_outcome ?? 'rejected',
      };
    }
    case 'workflow':
      return subWorkflowAt(step, at, dependsOn, agentIds, misplaced, scope);
  }
}

function subWorkflowAt(
  step: RawStep,
  at: string,
  dependsOn: readonly string[],
  agentIds: readonly string[],
  misplaced: boolean,
  scope: Scope,
): StepDefinition | undefined {
  if (step.workflow === undefined) {
    fail(scope, `${at}.workflow`, 'is required for workflow steps');
    return undefined;
  }
  if (scope.depth + 1 > maxSubWorkflowDepth) {
    fail(scope, at, `sub-workflows nest at most ${maxSubWorkflowDepth} deep`);
    return undefined;
  }
  const subAgents = step.agent_ids ?? agentIds;
  let agentsValid = true;
  if (subAgents.length === 0) {
    fail(scope, `${at}.agent_ids`, 'must name at least one agent');
    agentsValid = false;
  }
  subAgents.forEach((agentId, position) => {
    const first = subAgents.indexOf(agentId);
    if (first !== position) {
      fail(scope, `${at}.agent_ids.${position}`, `repeats ${at}.agent_ids.${first}`);
      agentsValid = false;
    } else if (!agentIds.includes(agentId)) {
      fail(scope, `${at}.agent_ids.${position}`, 'is not one of the enclosing agent_ids');
      agentsValid = false;
    }
  });
  const errorsBefore = scope.errors.length;
  const plan = planAt(
    { workflow: step.workflow, agent_ids: subAgents, config: step.config ?? {} },
    { base: `${scope.base}${at}.`, depth: scope.depth + 1, errors: scope.errors },
  );
  if (!agentsValid || misplaced || scope.errors.length > errorsBefore) return undefined;
  return {
    id: step.id,
    kind: 'workflow',
    depends_on: dependsOn,
    plan,
    ...(step.input === undefined ? {} : { input: step.input }),
  };
}

interface GraphNode {
  readonly id: string;
  /** Position in config.steps. */
  readonly index: number;
  /** depends_on as the client wrote it, so reported positions match the body. */
  readonly depends_on: readonly string[];
}

/**
 * Finds dependency cycles by depth-first search in plan order and reports each one
 * once, on the dependency that closes it, naming every step in it. Steps with other
 * faults still take part, so a cycle is reported in the same answer.
 */
function reportCycles(graph: readonly GraphNode[], scope: Scope): void {
  const byId = new Map(graph.map((node) => [node.id, node]));
  const colour = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const reported = new Set<string>();

  const visit = (node: GraphNode): void => {
    colour.set(node.id, 'open');
    path.push(node.id);
    node.depends_on.forEach((dependency, position) => {
      const target = byId.get(dependency);
      if (target === undefined || node.depends_on.indexOf(dependency) !== position) return;
      const state = colour.get(dependency);
      if (state === 'open') {
        const cycle = path.slice(path.indexOf(dependency));
        const key = [...cycle].sort().join('\u0000');
        if (reported.has(key)) return;
        reported.add(key);
        const message =
          cycle.length === 1
            ? `makes step '${node.id}' depend on itself`
            : `closes a dependency cycle: ${[...cycle, dependency].map((id) => `'${id}'`).join(' → ')} (each depends on the next)`;
        fail(scope, `config.steps.${node.index}.depends_on.${position}`, message, 'cycle');
      } else if (state === undefined) {
        visit(target);
      }
    });
    path.pop();
    colour.set(node.id, 'done');
  };

  for (const node of graph) if (!colour.has(node.id)) visit(node);
}
