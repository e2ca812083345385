import { MemoryAuditStore } from '../../../../src/adapters/memory';
import { auditStoreContract } from './audit-store-contract';

auditStoreContract('MemoryAuditStore', async () => new MemoryAuditStore());
