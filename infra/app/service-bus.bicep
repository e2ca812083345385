// Service Bus namespace with the kernel's queue and topic. SAS (local) auth is
// disabled: senders and receivers authenticate with Entra identities (rbac.bicep).
//
// Entity names and delivery settings mirror serviceBusNames and
// serviceBusQueueSettings in src/kernel/config/resource-names.ts; a test fails
// when they differ, so change them there first.
//
// No topic subscriptions here: the kernel creates one subscription per client
// app at run time, when the app registers, which is why the app identity holds
// Azure Service Bus Data Owner on the results topic (rbac.bicep).

@description('Namespace name (6-50 letters, digits and hyphens).')
@minLength(6)
@maxLength(50)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the namespace.')
param tags object

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

// Client apps post orchestration requests here.
resource orchestrationRequests 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: 'aos-orchestration-requests'
  properties: {
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    defaultMessageTimeToLive: 'P14D'
    deadLetteringOnMessageExpiration: true
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
  }
}

// The kernel publishes orchestration results here. Delivery count, lock duration
// and dead-lettering belong to subscriptions, which the kernel creates.
resource orchestrationResults 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: 'aos-orchestration-results'
  properties: {
    defaultMessageTimeToLive: 'P14D'
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
  }
}

@description('Namespace name.')
output name string = namespace.name

@description('Host name clients connect to, e.g. sb-xyz.servicebus.windows.net (ServiceBusConnection__fullyQualifiedNamespace).')
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]

@description('Name of the orchestration results topic.')
output resultsTopicName string = orchestrationResults.name
