/**
 * The Functions app's entry point (package.json "main"). Registrations only: each
 * file under http/ mounts routes built from kernel contracts. The kernel is built
 * here at cold start so a bad setting stops the app before it serves anything.
 */
import { getKernel } from '../composition/root';
import { mountFallback } from './http/mount-route';
import './http/health';
import './http/agents';
import './http/auth';
import './http/audit';
import './http/orchestrations';
import './durable/workflow-orchestrator';
import './durable/send-orchestrator';
import './durable/activities';
import './timers/audit-checkpoint';

getKernel();
mountFallback();
