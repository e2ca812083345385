// The function app's storage account: the Functions host (AzureWebJobsStorage),
// the Durable Functions Azure Storage backend, the Flex Consumption deployment
// package, and the kernel's own tables and blob containers. Shared keys are off,
// so everything reaches it through Entra identities (rbac.bicep).

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the account.')
param tags object

// The kernel's tables and containers: exactly storageNames.tables and
// storageNames.containers in src/kernel/config/resource-names.ts (a test compares).
var kernelTableNames = [
  'agents'
  'secrets'
  'orchestrations'
  'apikeys'
  'audit'
]
var kernelContainerNames = [
  'transcripts'
]

// Flex Consumption pulls the app package from this container (functionAppConfig.deployment).
var deploymentContainerName = 'app-package'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource kernelContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for containerName in kernelContainerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource kernelTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for tableName in kernelTableNames: {
    parent: tableService
    name: tableName
  }
]

@description('Storage account name.')
output name string = storage.name

@description('Name of the container Flex Consumption deploys the app package from.')
output deploymentContainerName string = deploymentContainer.name
