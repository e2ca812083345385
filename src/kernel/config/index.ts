/**
 * Config: the one schema over the environment, the declared setting and resource
 * names, and storage connection parsing. Parsed once at cold start by the
 * composition root. Must not import Azure SDKs or read settings anywhere else.
 */
export { loadConfig, ConfigError } from './kernel-config';
export type { KernelConfig, ServiceBusConnection, SettingProblem } from './kernel-config';
export { settings, settingDescriptors, allSettingNames, localSampleValues } from './settings';
export type { SettingDescriptor, SettingKey } from './settings';
export {
  parseStorageConnection,
  azuriteConnectionString,
  defaultAzuritePorts,
  developmentStorageAccount,
  StorageConnectionError,
} from './storage-connection';
export type { StorageConnection, AzuritePorts } from './storage-connection';
export {
  serviceBusNames,
  serviceBusQueueSettings,
  storageNames,
  storageResourceNames,
} from './resource-names';
