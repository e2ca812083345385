// aos-kernel infrastructure, deployed by `azd up` (see docs/deploy.md).
//
// One resource group holds a Flex Consumption function app running as a
// user-assigned managed identity, and everything it talks to, each reached
// through that identity: storage (no shared keys), Service Bus (no SAS),
// Application Insights (Entra-authenticated ingestion), Key Vault (RBAC) and
// optionally the Durable Task Scheduler.
//
// Resource and setting names come from src/kernel/config (settings.ts and
// resource-names.ts); test/infra/bicep.test.ts fails when this Bicep disagrees.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment. Names the resource group (rg-<name>) and seeds the unique suffix of every other resource name.')
param environmentName string

@minLength(1)
@description('Azure region for every resource. Pick one that offers Flex Consumption (and the Durable Task Scheduler, when that backend is chosen).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of whoever runs azd (azd fills it from AZURE_PRINCIPAL_ID). They get the data-plane roles that running the kernel locally against these resources needs. Empty: no role assignments for a person.')
param principalId string = ''

@description('What kind of principal principalId is: a person (User) or a CI identity (ServicePrincipal).')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Durable Functions backend: the managed Durable Task Scheduler, or the Azure Storage provider over the function app\'s own storage account.')
@allowed([
  'DurableTaskScheduler'
  'AzureStorage'
])
param durableBackend string = 'AzureStorage'

@minLength(3)
@maxLength(45)
@description('Durable task hub name, handed to the app as AOS_TASK_HUB (letters and digits, starting with a letter). With the Durable Task Scheduler it is also the name of the task hub resource.')
param taskHubName string = 'aoskernel'

@description('Memory of each Flex Consumption instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound on Flex Consumption instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Durable Task Scheduler billing SKU (used only when durableBackend is DurableTaskScheduler).')
@allowed([
  'Consumption'
  'Dedicated'
])
param durableTaskSchedulerSku string = 'Consumption'

@description('Turn on Key Vault purge protection. It cannot be turned off again; leave it off for throwaway environments so that `azd down --purge` can remove the vault.')
param keyVaultPurgeProtection bool = false

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var useDurableTaskScheduler = durableBackend == 'DurableTaskScheduler'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity './app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring './app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage './app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
  }
}

module serviceBus './app/service-bus.bicep' = {
  name: 'service-bus'
  scope: rg
  params: {
    name: '${abbrs.serviceBusNamespaces}${resourceToken}'
    location: location
    tags: tags
  }
}

module durableTaskScheduler './app/durable-task-scheduler.bicep' = if (useDurableTaskScheduler) {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    name: '${abbrs.durableTaskSchedulers}${resourceToken}'
    taskHubName: taskHubName
    skuName: durableTaskSchedulerSku
    location: location
    tags: tags
  }
}

module keyVault './app/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    enablePurgeProtection: keyVaultPurgeProtection
    location: location
    tags: tags
  }
}

module rbac './app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    developerPrincipalId: principalId
    developerPrincipalType: principalType
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    resultsTopicName: serviceBus.outputs.resultsTopicName
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    durableTaskSchedulerName: useDurableTaskScheduler ? durableTaskScheduler!.outputs.name : ''
  }
}

module api './app/function-app.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: '${abbrs.webSitesFunctions}api-${resourceToken}'
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    taskHubName: taskHubName
    durableTaskSchedulerEndpoint: useDurableTaskScheduler ? durableTaskScheduler!.outputs.endpoint : ''
    keyVaultName: keyVault.outputs.name
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
  // The host starts as soon as the app exists; let it find its roles in place.
  dependsOn: [
    rbac
  ]
}

// Outputs land in the azd environment (.azure/<env>/.env). Names and endpoints
// only: no key, connection string or secret ever goes out through here.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_USER_ASSIGNED_IDENTITY_NAME string = identity.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output SERVICE_BUS_NAMESPACE string = serviceBus.outputs.name
output SERVICE_BUS_FULLY_QUALIFIED_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
// The app gets no Key Vault setting yet: the setting arrives in settings.ts with
// the issue that first reads a secret (MCP server secrets, callback signing key).
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.endpoint
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_HUB_NAME string = taskHubName
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useDurableTaskScheduler ? durableTaskScheduler!.outputs.endpoint : ''
