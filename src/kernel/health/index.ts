/**
 * Health: the dependency checks behind GET /api/health. Owns the healthy/degraded
 * decision; the checks themselves are ports implemented by adapters.
 */
export { HealthService, describeFailure } from './health-service';
export type {
  CheckResult,
  CheckStatus,
  HealthCheck,
  HealthCheckReport,
  HealthReport,
} from './health-service';
