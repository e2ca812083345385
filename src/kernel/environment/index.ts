/**
 * Environment: where the kernel runs and what the platform puts in front of it.
 * Owns the detection rules; must not read settings beyond the few markers it
 * documents.
 */
export { appServiceAuthMarker, isAppServiceAuthEnabled } from './app-service-auth';
export { detectHostKind, isLocalHost, localRuntimeMarker } from './host-kind';
export type { HostKind } from './host-kind';
