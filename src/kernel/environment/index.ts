/**
 * Environment: where the kernel runs. Owns the detection rules; must not read
 * settings beyond the few markers it documents.
 */
export { detectHostKind, isLocalHost, localRuntimeMarker } from './host-kind';
export type { HostKind } from './host-kind';
