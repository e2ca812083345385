/**
 * Executor: runs one agent call for one workflow step (the durable activity's
 * body): policy first, then the agent's transport with timeout, retries and a
 * per-agent circuit breaker, then one audit record. Owns StepResult. Must not
 * import Azure SDKs, durable-functions or outer layers; it knows transports only
 * through the extension registry.
 */
export { AgentExecutor } from './agent-executor';
export type { AgentExecutorOptions, ExecuteInput, StepError, StepResult } from './agent-executor';
export { CircuitBreaker } from './circuit-breaker';
export type { CircuitBreakerOptions, CircuitState } from './circuit-breaker';
export { allowAllPolicyGate, discardAuditSink } from './ports';
export type { AgentCallAuditRecord, AuditSink, PolicyDecision, PolicyGate, StepStatus } from './ports';
