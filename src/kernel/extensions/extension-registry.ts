import { z } from 'zod';
import type { AgentTransport, BuiltinAgent } from '../agents/types';
import { KernelError } from '../errors';

/**
 * The one place a deployment adds behaviour to the kernel by name: transports
 * (how agents are reached), builtin agents, and later policy rules, workflow step
 * kinds and MCP tools. The kernel's own transports register here the same way an
 * extension package does, so nothing is special-cased elsewhere.
 */

const extensionNamePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export interface RegisterOptions {
  /** Replace an entry of the same name instead of failing (tests, deliberate overrides). */
  readonly replace?: boolean;
}

/** Named entries of one kind; registering a name twice is a mistake unless asked for. */
export class NamedRegistry<T> {
  private readonly entries = new Map<string, T>();

  constructor(readonly kind: string) {}

  register(name: string, item: T, options: RegisterOptions = {}): void {
    if (!extensionNamePattern.test(name)) {
      throw new KernelError('internal', `Invalid ${this.kind} name`, {
        detail: `'${name.slice(0, 80)}' must match ${extensionNamePattern.source}`,
      });
    }
    if (this.entries.has(name) && options.replace !== true) {
      throw new KernelError('conflict', `Duplicate ${this.kind}`, {
        detail: `A ${this.kind} named '${name}' is already registered.`,
      });
    }
    this.entries.set(name, item);
  }

  get(name: string): T | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }
}

export interface TransportOptions extends RegisterOptions {
  /**
   * Fields of the transport config that hold secrets given in clear at registration,
   * each a `{name: value}` object, mapped to the segment their secret names use:
   * `{headers: 'header'}` stores `headers.Authorization` as
   * `agent/<agent_id>/header/Authorization` and keeps only `{secret_ref}` in the record.
   */
  readonly secretFields?: Readonly<Record<string, string>>;
}

/** Everything the kernel knows about one transport type. */
export interface TransportDefinition {
  readonly type: string;
  /** Absent when only the config shape is known (the implementation arrives later). */
  readonly transport: AgentTransport | undefined;
  /** Validates the transport object given at registration (secrets still in clear). */
  readonly schema: z.ZodType;
  readonly secretFields: Readonly<Record<string, string>>;
}

/** Accepts any object with a type; used when an extension registers no schema. */
const anyTransportSchema = z.looseObject({ type: z.string() });

export class ExtensionRegistry {
  readonly builtinAgents = new NamedRegistry<BuiltinAgent>('builtin agent');
  private readonly transports = new NamedRegistry<TransportDefinition>('transport');

  /**
   * Registers a way to reach agents. `schema` validates the `transport` object of a
   * registration body whose `type` is this transport's; without one, any object is
   * accepted. Registering an implementation for a type whose schema is already
   * known (see registerTransportType) keeps that schema unless a new one is given.
   */
  registerTransport(transport: AgentTransport, schema?: z.ZodType, options: TransportOptions = {}): this {
    const known = this.transports.get(transport.type);
    if (known?.transport !== undefined && options.replace !== true) {
      throw new KernelError('conflict', 'Duplicate transport', {
        detail: `A transport of type '${transport.type}' is already registered.`,
      });
    }
    this.transports.register(
      transport.type,
      {
        type: transport.type,
        transport,
        schema: schema ?? known?.schema ?? anyTransportSchema,
        secretFields: options.secretFields ?? known?.secretFields ?? {},
      },
      { replace: true },
    );
    return this;
  }

  /**
   * Declares a transport type's config shape without an implementation: agents can
   * register with it, and calls fail with `no_transport` until one is registered.
   */
  registerTransportType(type: string, schema: z.ZodType, options: TransportOptions = {}): this {
    const known = this.transports.get(type);
    if (known !== undefined && options.replace !== true) {
      throw new KernelError('conflict', 'Duplicate transport', {
        detail: `A transport of type '${type}' is already declared.`,
      });
    }
    this.transports.register(
      type,
      {
        type,
        transport: known?.transport,
        schema,
        secretFields: options.secretFields ?? known?.secretFields ?? {},
      },
      { replace: true },
    );
    return this;
  }

  /** The implementation for a transport type, if one is registered. */
  transport(type: string): AgentTransport | undefined {
    return this.transports.get(type)?.transport;
  }

  transportDefinition(type: string): TransportDefinition | undefined {
    return this.transports.get(type);
  }

  /** Every declared transport type, sorted (with or without an implementation). */
  transportTypes(): string[] {
    return this.transports.names();
  }

  registerBuiltinAgent(agent: BuiltinAgent, options: RegisterOptions = {}): this {
    this.builtinAgents.register(agent.name, agent, options);
    return this;
  }
}
