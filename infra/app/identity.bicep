// The function app's user-assigned managed identity. Every connection the app
// makes (storage, Service Bus, App Insights, Durable Task Scheduler, Key Vault)
// authenticates as this identity; rbac.bicep grants it its roles.

@description('Name of the identity.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the identity.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id, for the app\'s identity block and the deployment storage authentication.')
output id string = identity.id

@description('Name of the identity.')
output name string = identity.name

@description('Object id, for role assignments.')
output principalId string = identity.properties.principalId

@description('Client id, for the `__clientId` connection settings.')
output clientId string = identity.properties.clientId
