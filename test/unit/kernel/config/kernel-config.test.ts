import { describe, expect, it } from 'vitest';
import { ConfigError, azuriteConnectionString, loadConfig } from '../../../../src/kernel/config';

const azurite = 'UseDevelopmentStorage=true';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((p) => p.setting);
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('parses a complete local configuration', () => {
    const config = loadConfig({
      AzureWebJobsStorage: azurite,
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AOS_TASK_HUB: 'myhub',
      AOS_MAX_BODY_BYTES: '2048',
      AOS_HEALTH_TIMEOUT_MS: '750',
      AOS_LOCAL_RUNTIME: '1',
    });
    expect(config.host).toBe('local-runtime');
    expect(config.taskHub).toBe('myhub');
    expect(config.maxBodyBytes).toBe(2048);
    expect(config.healthTimeoutMs).toBe(750);
    expect(config.storage.kind).toBe('connectionString');
    if (config.storage.kind === 'connectionString') {
      expect(config.storage.blobEndpoint).toBe('http://127.0.0.1:10000/devstoreaccount1');
      expect(config.storage.tableEndpoint).toBe('http://127.0.0.1:10002/devstoreaccount1');
      expect(config.storage.insecure).toBe(true);
    }
    expect(config.appInsightsConnectionString).toBeUndefined();
  });

  it('applies defaults for optional settings', () => {
    const config = loadConfig({ AzureWebJobsStorage: azurite });
    expect(config.taskHub).toBe('aoskernel');
    expect(config.maxBodyBytes).toBe(1_048_576);
    expect(config.healthTimeoutMs).toBe(2_000);
    expect(config.serviceBus).toBeUndefined();
  });

  it('accepts identity-based storage and Service Bus settings', () => {
    const config = loadConfig({
      AzureWebJobsStorage__accountName: 'aosprod',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: '00000000-0000-0000-0000-000000000001',
      ServiceBusConnection__fullyQualifiedNamespace: 'aos.servicebus.windows.net',
    });
    expect(config.storage).toEqual({
      kind: 'identity',
      blobEndpoint: 'https://aosprod.blob.core.windows.net',
      tableEndpoint: 'https://aosprod.table.core.windows.net',
      queueEndpoint: 'https://aosprod.queue.core.windows.net',
      clientId: '00000000-0000-0000-0000-000000000001',
    });
    expect(config.serviceBus).toEqual({
      kind: 'identity',
      fullyQualifiedNamespace: 'aos.servicebus.windows.net',
    });
  });

  it('names the storage setting when it is missing', () => {
    try {
      loadConfig({});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('AzureWebJobsStorage');
      expect((error as Error).message).toContain('AzureWebJobsStorage__accountName');
    }
  });

  it('names every invalid setting at once', () => {
    expect(
      problemsOf({
        AzureWebJobsStorage: azurite,
        AOS_MAX_BODY_BYTES: 'lots',
        AOS_HEALTH_TIMEOUT_MS: '0',
        AOS_TASK_HUB: '1x',
      }),
    ).toEqual(['AOS_TASK_HUB', 'AOS_MAX_BODY_BYTES', 'AOS_HEALTH_TIMEOUT_MS']);
  });

  it('rejects a worker runtime other than node when running under a host', () => {
    expect(
      problemsOf({
        AzureWebJobsStorage: azurite,
        AOS_LOCAL_RUNTIME: '1',
        FUNCTIONS_WORKER_RUNTIME: 'python',
      }),
    ).toEqual(['FUNCTIONS_WORKER_RUNTIME']);
  });

  it('rejects a storage value that is not a connection string', () => {
    expect(problemsOf({ AzureWebJobsStorage: 'not-a-connection-string' })).toEqual(['AzureWebJobsStorage']);
    expect(problemsOf({ AzureWebJobsStorage: 'AccountName=x' })).toEqual(['AzureWebJobsStorage']);
  });

  it('never puts the account key in its error message', () => {
    const key = 'c2VjcmV0LWtleS12YWx1ZQ==';
    try {
      loadConfig({ AzureWebJobsStorage: `AccountKey=${key}`, AOS_MAX_BODY_BYTES: 'x' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain(key);
    }
  });

  describe('AOS_TRUST_CLIENT_PRINCIPAL', () => {
    // WEBSITE_SITE_NAME is what makes detectHostKind answer 'azure'.
    const inAzure = {
      AzureWebJobsStorage: azurite,
      FUNCTIONS_WORKER_RUNTIME: 'node',
      WEBSITE_SITE_NAME: 'aos-api',
    };

    it('is off by default, locally and in Azure', () => {
      expect(loadConfig({ AzureWebJobsStorage: azurite }).auth.trustClientPrincipal).toBe(false);
      const azure = loadConfig(inAzure);
      expect(azure.host).toBe('azure');
      expect(azure.auth.trustClientPrincipal).toBe(false);
    });

    it("parses 'true' and 'false', and nothing else", () => {
      expect(
        loadConfig({
          AzureWebJobsStorage: azurite,
          AOS_LOCAL_RUNTIME: '1',
          FUNCTIONS_WORKER_RUNTIME: 'node',
          AOS_TRUST_CLIENT_PRINCIPAL: 'true',
        }).auth.trustClientPrincipal,
      ).toBe(true);
      expect(
        loadConfig({ AzureWebJobsStorage: azurite, AOS_TRUST_CLIENT_PRINCIPAL: 'false' }).auth
          .trustClientPrincipal,
      ).toBe(false);
      expect(problemsOf({ AzureWebJobsStorage: azurite, AOS_TRUST_CLIENT_PRINCIPAL: 'yes' })).toEqual([
        'AOS_TRUST_CLIENT_PRINCIPAL',
      ]);
    });

    it('is refused in Azure unless App Service Authentication is on, saying why', () => {
      for (const enabled of [undefined, 'False', '']) {
        const env = {
          ...inAzure,
          AOS_TRUST_CLIENT_PRINCIPAL: 'true',
          ...(enabled === undefined ? {} : { WEBSITE_AUTH_ENABLED: enabled }),
        };
        expect(problemsOf(env), String(enabled)).toEqual(['AOS_TRUST_CLIENT_PRINCIPAL']);
        expect(() => loadConfig(env)).toThrow(/WEBSITE_AUTH_ENABLED.*x-ms-client-principal/);
      }
    });

    it('is refused on a host that cannot be told (a container outside App Service), unless Easy Auth is declared', () => {
      const elsewhere = { AzureWebJobsStorage: azurite, AOS_TRUST_CLIENT_PRINCIPAL: 'true' };
      expect(problemsOf(elsewhere)).toEqual(['AOS_TRUST_CLIENT_PRINCIPAL']);
      expect(loadConfig({ ...elsewhere, WEBSITE_AUTH_ENABLED: 'true' }).auth.trustClientPrincipal).toBe(true);
      for (const local of [{ AOS_LOCAL_RUNTIME: '1' }, { FUNCTIONS_CORETOOLS_ENVIRONMENT: 'true' }]) {
        expect(
          loadConfig({ ...elsewhere, ...local, FUNCTIONS_WORKER_RUNTIME: 'node' }).auth.trustClientPrincipal,
        ).toBe(true);
      }
    });

    it('is accepted in Azure when App Service sets WEBSITE_AUTH_ENABLED=True', () => {
      for (const enabled of ['True', 'true', 'TRUE']) {
        const config = loadConfig({
          ...inAzure,
          AOS_TRUST_CLIENT_PRINCIPAL: 'true',
          WEBSITE_AUTH_ENABLED: enabled,
        });
        expect(config.auth.trustClientPrincipal, enabled).toBe(true);
      }
    });
  });

  it('reads the audit checkpoint schedule: hourly by default, off, or six NCRONTAB fields', () => {
    expect(loadConfig({ AzureWebJobsStorage: azurite }).auditCheckpointSchedule).toBe('0 0 * * * *');
    expect(
      loadConfig({ AzureWebJobsStorage: azurite, AOS_AUDIT_CHECKPOINT_SCHEDULE: '0 */15 * * * *' })
        .auditCheckpointSchedule,
    ).toBe('0 */15 * * * *');
    expect(
      loadConfig({ AzureWebJobsStorage: azurite, AOS_AUDIT_CHECKPOINT_SCHEDULE: 'off' })
        .auditCheckpointSchedule,
    ).toBeNull();
    expect(problemsOf({ AzureWebJobsStorage: azurite, AOS_AUDIT_CHECKPOINT_SCHEDULE: '0 * * * *' })).toEqual([
      'AOS_AUDIT_CHECKPOINT_SCHEDULE',
    ]);
  });

  it('builds Azurite connection strings for any ports', () => {
    const value = azuriteConnectionString({ blob: 1, queue: 2, table: 3 });
    const config = loadConfig({ AzureWebJobsStorage: value });
    expect(config.storage.blobEndpoint).toBe('http://127.0.0.1:1/devstoreaccount1');
    expect(config.storage.queueEndpoint).toBe('http://127.0.0.1:2/devstoreaccount1');
    expect(config.storage.tableEndpoint).toBe('http://127.0.0.1:3/devstoreaccount1');
  });
});
