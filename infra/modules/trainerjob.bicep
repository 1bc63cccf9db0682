// The GPU training job: a Container Apps environment with a serverless GPU workload profile and an
// event-driven Container Apps job that KEDA starts when the training queue has messages. Each execution
// runs `sslrec train-worker` (one message, resumes from blob checkpoints, deletes the message when done).
import { roles } from 'roles.bicep'

param location string
param name string
param logAnalyticsCustomerId string
param logAnalyticsWorkspaceName string
param storageAccountName string
param registryName string
param trainerImage string
param trainQueueName string
param publishQueueName string
@allowed(['Consumption-GPU-NC8as-T4', 'Consumption-GPU-NC24-A100'])
param gpuProfileType string
@description('Longest a training execution may run, in seconds (checkpoints make a retry resume).')
param replicaTimeoutSeconds int = 14400
param replicaRetryLimit int = 2
param maxExecutions int = 2

// A replica takes the whole GPU node of its profile (Container Apps serverless GPU sizes).
var containerSize = {
  'Consumption-GPU-NC8as-T4': { cpu: json('8'), memory: '56Gi' }
  'Consumption-GPU-NC24-A100': { cpu: json('24'), memory: '220Gi' }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsWorkspaceName
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${name}-identity'
  location: location
}

// What `sslrec train-worker` does, and the least each needs (tests/SslRec.Tests/Infra/RoleCoverageTests.cs
// checks the roles against this list):
// - blobs: read datasets, write and delete checkpoints, write candidates and run records, lease the run's
//   train lock → Storage Blob Data Contributor on the account;
// - the training queue: receive, keep invisible (UpdateMessage), delete; KEDA reads its length →
//   Storage Queue Data Contributor on that queue only (the only built-in role with messages/write);
// - the publish queue and the training poison queue: send → Storage Queue Data Message Sender on each.
// It never creates queues or containers: the storage module does.
resource blobAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource trainQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: queueService
  name: trainQueueName
}

resource publishQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: queueService
  name: publishQueueName
}

resource trainPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: queueService
  name: '${trainQueueName}-poison'
}

resource trainQueueAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(trainQueue.id, identity.id, roles.storageQueueDataContributor)
  scope: trainQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource publishQueueAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(publishQueue.id, identity.id, roles.storageQueueDataMessageSender)
  scope: publishQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource trainPoisonQueueAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(trainPoisonQueue.id, identity.id, roles.storageQueueDataMessageSender)
  scope: trainPoisonQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource pullAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identity.id, roles.acrPull)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: '${name}-env'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logAnalyticsCustomerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      { name: 'Consumption', workloadProfileType: 'Consumption' }
      { name: 'gpu', workloadProfileType: gpuProfileType }
    ]
  }
}

resource job 'Microsoft.App/jobs@2025-01-01' = {
  name: name
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  dependsOn: [blobAccess, trainQueueAccess, publishQueueAccess, trainPoisonQueueAccess, pullAccess]
  properties: {
    environmentId: environment.id
    workloadProfileName: 'gpu'
    configuration: {
      triggerType: 'Event'
      replicaTimeout: replicaTimeoutSeconds
      replicaRetryLimit: replicaRetryLimit
      registries: [{ server: registry.properties.loginServer, identity: identity.id }]
      eventTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
        scale: {
          minExecutions: 0
          maxExecutions: maxExecutions
          pollingInterval: 30
          rules: [
            {
              name: 'training-queue'
              type: 'azure-queue'
              metadata: {
                accountName: storage.name
                queueName: trainQueueName
                queueLength: '1'
              }
              identity: identity.id
            }
          ]
        }
      }
    }
    template: {
      containers: [
        {
          name: 'trainer'
          image: trainerImage
          args: ['train-worker', '--device', 'cuda']
          env: [
            // Read by `sslrec train-worker` exactly as the function app reads its app settings.
            { name: 'AzureWebJobsStorage__accountName', value: storage.name }
            { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
            { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
          ]
          resources: containerSize[gpuProfileType]
        }
      ]
    }
  }
}

output jobName string = job.name
output environmentName string = environment.name
output identityClientId string = identity.properties.clientId
