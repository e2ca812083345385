import { MemoryAgentRegistry } from '../../../../src/adapters/memory/memory-agent-registry';
import { MemorySecretStore } from '../../../../src/adapters/memory/memory-secret-store';
import {
  agentRegistryContract,
  secretStoreContract,
} from '../../../integration/adapters/agent-store-contracts';

/** The memory adapters meet the same contracts as the Azure Table ones. */

agentRegistryContract('MemoryAgentRegistry', async () => new MemoryAgentRegistry());
secretStoreContract('MemorySecretStore', async () => new MemorySecretStore());
