/**
 * Extensions: the registry where transports, builtin agents (and later policy
 * rules, workflow step kinds and MCP tools) are registered by name, and the loader
 * for a deployment's extension packages. Owns no behaviour of its own; must not
 * import Azure SDKs or outer layers, nor know any particular transport.
 */
export { ExtensionRegistry, NamedRegistry } from './extension-registry';
export type { RegisterOptions, TransportDefinition, TransportOptions } from './extension-registry';
export { loadExtensionPackages } from './extension-packages';
export type { ExtensionPackage, LoadExtensionOptions } from './extension-packages';
