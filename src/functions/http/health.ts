import { getKernel } from '../../composition/root';
import { mountRoute } from './mount-route';

/** GET /api/health: liveness plus real dependency checks; 503 when a required one is down. */
mountRoute({
  name: 'health',
  method: 'GET',
  route: 'health',
  async handle() {
    const report = await getKernel().health.report();
    return {
      status: report.status === 'healthy' ? 200 : 503,
      body: report,
      headers: { 'cache-control': 'no-store' },
    };
  },
});
