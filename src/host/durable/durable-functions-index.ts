import type { RegisteredFunction, Registrations } from '../app/functions-core';

/**
 * Finds the app's orchestrators, activities, entities and durable-client
 * functions among its registrations, by trigger type, as the extension does.
 */

export interface DurableFunction {
  readonly fn: RegisteredFunction;
  readonly name: string;
  readonly triggerName: string;
}

export interface DurableFunctionIndex {
  readonly orchestrators: ReadonlyMap<string, DurableFunction>;
  readonly activities: ReadonlyMap<string, DurableFunction>;
  readonly entities: ReadonlyMap<string, DurableFunction>;
}

export function indexDurableFunctions(registrations: Registrations): DurableFunctionIndex {
  const orchestrators = new Map<string, DurableFunction>();
  const activities = new Map<string, DurableFunction>();
  const entities = new Map<string, DurableFunction>();
  for (const fn of registrations.functions.values()) {
    for (const [triggerName, binding] of Object.entries(fn.metadata.bindings)) {
      const type = String(binding.type).toLowerCase();
      const entry = { fn, name: fn.metadata.name, triggerName };
      const key = fn.metadata.name.toLowerCase();
      if (type === 'orchestrationtrigger') orchestrators.set(key, entry);
      else if (type === 'activitytrigger') activities.set(key, entry);
      else if (type === 'entitytrigger') entities.set(key, entry);
    }
  }
  return { orchestrators, activities, entities };
}

/** True for functions whose trigger the Durable runtime (not the HTTP or timer host) drives. */
export function isDurableTrigger(type: string): boolean {
  return ['orchestrationtrigger', 'activitytrigger', 'entitytrigger'].includes(type.toLowerCase());
}
