/**
 * Durable Task Framework history events, in the PascalCase wire shape the
 * durable-functions library replays (EventType numbers, EventId, IsPlayed,
 * Timestamp, Input/Result as JSON text). The runtime stores exactly these.
 */

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export type EventTypeName = keyof typeof EventType;
export type EventTypeNumber = (typeof EventType)[EventTypeName];

export const eventTypeNames: Record<number, EventTypeName> = Object.fromEntries(
  Object.entries(EventType).map(([name, value]) => [value, name as EventTypeName]),
);

export interface FailureDetails {
  readonly ErrorType: string;
  readonly ErrorMessage: string;
  readonly StackTrace?: string | undefined;
  readonly InnerFailure?: FailureDetails | undefined;
}

/** One history event. Optional fields appear per event type, as DTFx serializes them. */
export interface HistoryEvent {
  EventType: EventTypeNumber;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string | undefined;
  Version?: string | undefined;
  Input?: string | undefined;
  Result?: string | undefined;
  TaskScheduledId?: number | undefined;
  TimerId?: number | undefined;
  FireAt?: string | undefined;
  InstanceId?: string | undefined;
  Reason?: string | undefined;
  Details?: string | undefined;
  FailureDetails?: FailureDetails | undefined;
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string } | undefined;
  ParentInstance?:
    | {
        Name: string;
        OrchestrationInstance: { InstanceId: string; ExecutionId: string };
        TaskScheduleId: number;
      }
    | undefined;
  OrchestrationStatus?: string | undefined;
}

export function historyEvent(
  type: EventTypeNumber,
  timestamp: Date,
  fields: Partial<HistoryEvent> = {},
): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: timestamp.toISOString(), ...fields };
}

export function describeEvent(event: HistoryEvent): string {
  const name = eventTypeNames[event.EventType] ?? `EventType ${event.EventType}`;
  return event.Name ? `${name} '${event.Name}'` : name;
}
