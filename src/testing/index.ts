/**
 * aos-kernel/testing: run an Azure Functions app with Durable Functions in a test,
 * on the local runtime, with a controllable clock. Start orchestrations, raise
 * events, skip time (a 7-day deadline passes in milliseconds) and read status and
 * history, through the same runtime `aos host` uses. Works for any app written
 * against @azure/functions and durable-functions, not only this kernel.
 */
export { createTestHost, TestHost } from './test-host';
export type { TestHostOptions, WaitOptions } from './test-host';
export { VirtualClock, RealClock } from '../host/durable/clock';
export type { Clock } from '../host/durable/clock';
export { MemoryDurableStore } from '../host/durable/stores/memory-store';
export type { DurableStore, InstanceStatusView, RuntimeStatus } from '../host/durable/types';
export type { HistoryEvent } from '../host/durable/history';
