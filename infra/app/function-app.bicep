// The kernel's Flex Consumption function app (plan FC1) on Node 20, running as
// the user-assigned identity.
//
// App settings use the names in src/kernel/config/settings.ts, in their
// identity-based form (`<Connection>__accountName` / `__fullyQualifiedNamespace`
// + `__credential` + `__clientId`); test/infra/bicep.test.ts fails on a name the
// kernel does not declare, except a short list of platform settings it names.
// FUNCTIONS_WORKER_RUNTIME is deliberately absent: Flex Consumption rejects it
// and takes the runtime from functionAppConfig.runtime instead.

@description('Function app name; azd finds it by its azd-service-name tag.')
param name string

@description('App Service plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags applied to the plan and the app.')
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity, for the `__clientId` connection settings.')
param identityClientId string

@description('Storage account for AzureWebJobsStorage, durable state and the deployment package.')
param storageAccountName string

@description('Blob container Flex Consumption deploys the app package from.')
param deploymentContainerName string

@description('Application Insights component that receives the telemetry.')
param applicationInsightsName string

@description('Service Bus host name, e.g. sb-xyz.servicebus.windows.net.')
param serviceBusFullyQualifiedNamespace string

@description('Durable task hub name (AOS_TASK_HUB).')
param taskHubName string

@description('Durable Task Scheduler endpoint. Empty: durable state lives in the storage account.')
param durableTaskSchedulerEndpoint string = ''

@description('Largest request body the kernel accepts, in bytes (AOS_MAX_BODY_BYTES).')
@minValue(1)
param maxBodyBytes int = 1048576

@description('Key Vault holding the kernel\'s secrets (the callback signing key), referenced from app settings.')
param keyVaultName string

@description('Comma-separated npm packages the kernel loads at start-up to add transports and rules.')
param extensionPackages string = ''

@description('Audience (App ID URI of the kernel\'s Entra app registration) that access tokens must carry.')
param authAudience string = 'api://aos-kernel'

@description('Burst size of the per-principal rate limit (AOS_RATE_LIMIT_CAPACITY).')
@minValue(1)
param rateLimitCapacity int = 60

@description('Requests per second a principal regains (AOS_RATE_LIMIT_REFILL_PER_SECOND).')
@minValue(1)
param rateLimitRefillPerSecond int = 10

@description('Health check timeout per dependency, in ms (AOS_HEALTH_TIMEOUT_MS).')
@minValue(1)
param healthTimeoutMs int = 2000

@description('How long a health result is reused, in ms; 0 checks on every request (AOS_HEALTH_CACHE_MS).')
@minValue(0)
param healthCacheMs int = 1000

@description('NCRONTAB schedule of the audit checkpoint timer, or off (AOS_AUDIT_CHECKPOINT_SCHEDULE).')
param auditCheckpointSchedule string = '0 0 * * * *'

@description('Memory of each instance, in MB.')
param instanceMemoryMB int = 2048

@description('Upper bound on instances.')
param maximumInstanceCount int = 100

var useDurableTaskScheduler = !empty(durableTaskSchedulerEndpoint)

// Read here, not passed in: with local auth disabled the connection string holds
// no secret (ingestion needs an Entra token), but it stays out of outputs anyway.
resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

var kernelSettings = [
  {
    name: 'AzureWebJobsStorage__accountName'
    value: storage.name
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsStorage__clientId'
    value: identityClientId
  }
  {
    name: 'ServiceBusConnection__fullyQualifiedNamespace'
    value: serviceBusFullyQualifiedNamespace
  }
  {
    name: 'ServiceBusConnection__credential'
    value: 'managedidentity'
  }
  {
    name: 'ServiceBusConnection__clientId'
    value: identityClientId
  }
  {
    name: 'AOS_TASK_HUB'
    value: taskHubName
  }
  {
    name: 'AOS_MAX_BODY_BYTES'
    value: string(maxBodyBytes)
  }
  {
    name: 'AOS_HEALTH_TIMEOUT_MS'
    value: string(healthTimeoutMs)
  }
  {
    name: 'AOS_HEALTH_CACHE_MS'
    value: string(healthCacheMs)
  }
  {
    name: 'AOS_AUDIT_CHECKPOINT_SCHEDULE'
    value: auditCheckpointSchedule
  }
  {
    // A Key Vault reference, resolved by the platform with the app's identity; the
    // operator sets the secret once (docs/deploy.md). The value never sits in settings.
    name: 'AOS_CALLBACK_SIGNING_SECRET'
    value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=aos-callback-signing-secret)'
  }
  {
    name: 'AOS_EXTENSION_PACKAGES'
    value: extensionPackages
  }
  {
    // Tokens from this tenant's Entra ID only (docs/deploy.md: the app registration).
    name: 'AOS_AUTH_ISSUERS'
    value: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
  }
  {
    name: 'AOS_AUTH_AUDIENCES'
    value: authAudience
  }
  {
    // The local development issuer is never trusted in Azure.
    name: 'AOS_AUTH_LOCAL_ISSUER'
    value: 'false'
  }
  {
    // Easy Auth is not configured by this template; an operator who enables it may
    // turn this on (docs/security.md: Behind App Service Authentication).
    name: 'AOS_TRUST_CLIENT_PRINCIPAL'
    value: 'false'
  }
  {
    name: 'AOS_RATE_LIMIT_CAPACITY'
    value: string(rateLimitCapacity)
  }
  {
    name: 'AOS_RATE_LIMIT_REFILL_PER_SECOND'
    value: string(rateLimitRefillPerSecond)
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: applicationInsights.properties.ConnectionString
  }
]

// Platform settings the kernel code never reads.
var platformSettings = [
  {
    // Makes the host's Application Insights exporter authenticate as the app identity.
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'ClientId=${identityClientId};Authorization=AAD'
  }
]

// Read by the Durable extension once host.json selects the azureManaged storage
// provider (see durable-task-scheduler.bicep for how that choice is made).
var durableTaskSchedulerSettings = useDurableTaskScheduler ? [
  {
    name: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
    value: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
  }
] : []

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references in app settings resolve as this identity too.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: concat(kernelSettings, platformSettings, durableTaskSchedulerSettings)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '20'
      }
    }
  }
}

@description('Function app name.')
output name string = functionApp.name

@description('Base URL of the app.')
output uri string = 'https://${functionApp.properties.defaultHostName}'
