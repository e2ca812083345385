import { getServices } from '../../composition/root';
import { auditTrailQuerySchema, auditVerifyQuerySchema } from '../../kernel/audit';
import { required } from './caller';
import { mountRoute } from './mount-route';

/** The audit trail (contract.md, Governance): read by auditors and admins, verified by kernel-wide ones. */

mountRoute({
  name: 'audit_trail',
  method: 'GET',
  route: 'audit/trail',
  query: auditTrailQuerySchema,
  async handle({ query, principal }) {
    const { audit } = await getServices();
    return { status: 200, body: { entries: await audit.query(query, required(principal)) } };
  },
});

mountRoute({
  name: 'audit_trail_verify',
  method: 'GET',
  route: 'audit/trail/verify',
  query: auditVerifyQuerySchema,
  async handle({ query, principal }) {
    const { audit } = await getServices();
    return { status: 200, body: await audit.verify(query, required(principal)) };
  },
});
