import { getKernel, getServices } from '../../composition/root';
import { mountRoute } from './mount-route';

/**
 * GET /api/health: bare liveness for anyone (app, status, version); the
 * dependency checks only for an authenticated caller. 503 when a required
 * dependency is down, either way.
 */
mountRoute(
  {
    name: 'health',
    method: 'GET',
    route: 'health',
    async handle({ request }) {
      const report = await getKernel().health.report();
      const status = report.status === 'healthy' ? 200 : 503;
      const headers = { 'cache-control': 'no-store' };
      let authenticated = false;
      try {
        authenticated =
          (await (await getServices()).authenticator.authenticate(request.headers)) !== undefined;
      } catch {
        // Bad credentials, or storage down so keys cannot be checked: the bare answer still serves.
      }
      if (!authenticated) {
        return { status, headers, body: { app: report.app, status: report.status, version: report.version } };
      }
      return { status, headers, body: report };
    },
  },
  { public: true },
);
