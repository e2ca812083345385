// Durable Task Scheduler and the kernel's task hub, deployed when main.bicep's
// durableBackend is 'DurableTaskScheduler'.
//
// Provisioning is only half of the choice. Which backend the Durable extension
// uses is decided by host.json's extensions.durableTask.storageProvider:
//   - absent or type 'AzureStorage': the Azure Storage provider over AzureWebJobsStorage;
//   - type 'azureManaged' with connectionStringName 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING':
//     this scheduler, reached with the connection string function-app.bicep sets.
// host.json does not select it yet; the code issue that adopts the scheduler wires
// it (for example per deployment, through the AzureFunctionsJobHost__extensions__
// durableTask__storageProvider__type app-setting override of host.json).

@description('Scheduler name (3-64 letters, digits and hyphens).')
@minLength(3)
@maxLength(64)
param name string

@description('Task hub name; the same value the app gets as AOS_TASK_HUB.')
param taskHubName string

@description('Billing SKU.')
@allowed([
  'Consumption'
  'Dedicated'
])
param skuName string = 'Consumption'

@description('Addresses allowed to reach the scheduler. It must not be empty (empty denies everything); callers still need a Durable Task role.')
param ipAllowlist array = [
  '0.0.0.0/0'
]

@description('Azure region.')
param location string

@description('Tags applied to the scheduler.')
param tags object

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    ipAllowlist: ipAllowlist
    sku: {
      name: skuName
    }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

@description('Scheduler name.')
output name string = scheduler.name

@description('Scheduler endpoint URL (not a secret: access needs a Durable Task role).')
output endpoint string = scheduler.properties.endpoint

@description('Task hub name.')
output taskHubName string = taskHub.name
