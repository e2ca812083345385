// Every role assignment of the deployment, in one place. Role definition ids come
// from infra/roles.json (the single table a test checks), never from literals.
//
// Two principals:
//   - the app's user-assigned identity (ServicePrincipal): what the running kernel needs;
//   - optionally the developer who runs azd (principalId): the data roles needed to run
//     the kernel locally against these resources, plus managing Key Vault secrets.

@description('Object id of the function app\'s user-assigned identity.')
param appPrincipalId string

@description('Object id of the developer (or CI identity) running azd. Empty: no assignments for them.')
param developerPrincipalId string = ''

@description('Principal type of developerPrincipalId.')
@allowed([
  'User'
  'ServicePrincipal'
])
param developerPrincipalType string = 'User'

@description('Name of the function app\'s storage account.')
param storageAccountName string

@description('Name of the Service Bus namespace.')
param serviceBusNamespaceName string

@description('Name of the orchestration results topic; subscriptions under it are created at run time.')
param resultsTopicName string

@description('Name of the Key Vault.')
param keyVaultName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Name of the Durable Task Scheduler. Empty when durable state lives in the storage account.')
param durableTaskSchedulerName string = ''

var roles = loadJsonContent('../roles.json').roles
var assignDeveloper = !empty(developerPrincipalId)
var useDurableTaskScheduler = !empty(durableTaskSchedulerName)

// Functions host (blobs), Durable Functions Azure Storage backend (queues, tables,
// blobs) and the kernel's own tables and containers.
var storageRoleIds = [
  roles.storageBlobDataOwner.id
  roles.storageTableDataContributor.id
  roles.storageQueueDataContributor.id
]

// Sending and receiving on every queue and topic of the namespace.
var serviceBusRoleIds = [
  roles.azureServiceBusDataSender.id
  roles.azureServiceBusDataReceiver.id
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource resultsTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' existing = {
  parent: serviceBus
  name: resultsTopicName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' existing = if (useDurableTaskScheduler) {
  name: durableTaskSchedulerName
}

// ---- The app identity -------------------------------------------------------

resource appStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoleIds: {
    name: guid(storage.id, appPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appServiceBus 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in serviceBusRoleIds: {
    name: guid(serviceBus.id, appPrincipalId, roleId)
    scope: serviceBus
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Creating and deleting a subscription per registered client app needs Manage
// rights, which only Data Owner carries; scoped to the results topic alone.
resource appResultsTopicOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resultsTopic.id, appPrincipalId, roles.azureServiceBusDataOwner.id)
  scope: resultsTopic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.azureServiceBusDataOwner.id)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appScheduler 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useDurableTaskScheduler) {
  name: guid(scheduler.id, appPrincipalId, roles.durableTaskDataContributor.id)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.durableTaskDataContributor.id)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, appPrincipalId, roles.keyVaultSecretsUser.id)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser.id)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Application Insights with local auth disabled accepts telemetry only from this role.
resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, roles.monitoringMetricsPublisher.id)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher.id)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---- The developer ------------------------------------------------------------

resource developerStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoleIds: if (assignDeveloper) {
    name: guid(storage.id, developerPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: developerPrincipalId
      principalType: developerPrincipalType
    }
  }
]

resource developerServiceBus 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in serviceBusRoleIds: if (assignDeveloper) {
    name: guid(serviceBus.id, developerPrincipalId, roleId)
    scope: serviceBus
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: developerPrincipalId
      principalType: developerPrincipalType
    }
  }
]

resource developerResultsTopicOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (assignDeveloper) {
  name: guid(resultsTopic.id, developerPrincipalId, roles.azureServiceBusDataOwner.id)
  scope: resultsTopic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.azureServiceBusDataOwner.id)
    principalId: developerPrincipalId
    principalType: developerPrincipalType
  }
}

// Also opens the scheduler's dashboard to the developer.
resource developerScheduler 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useDurableTaskScheduler && assignDeveloper) {
  name: guid(scheduler.id, developerPrincipalId, roles.durableTaskDataContributor.id)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.durableTaskDataContributor.id)
    principalId: developerPrincipalId
    principalType: developerPrincipalType
  }
}

// Officer, not User: the developer is the one who puts the secrets in.
resource developerKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (assignDeveloper) {
  name: guid(keyVault.id, developerPrincipalId, roles.keyVaultSecretsOfficer.id)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer.id)
    principalId: developerPrincipalId
    principalType: developerPrincipalType
  }
}

resource developerTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (assignDeveloper) {
  name: guid(applicationInsights.id, developerPrincipalId, roles.monitoringMetricsPublisher.id)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher.id)
    principalId: developerPrincipalId
    principalType: developerPrincipalType
  }
}
