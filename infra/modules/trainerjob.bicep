// The GPU training job: a Container Apps environment with a serverless GPU workload profile and an
// event-driven Container Apps job that KEDA starts when the training queue has messages. Each execution
// runs `sslrec train-worker` (one message, resumes from blob checkpoints, deletes the message when done;
// a training longer than one execution's budget checkpoints and continues in the next execution).
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
@description('Container of run records, encoded datasets, checkpoints and candidates (read, written, deleted).')
param artifactsContainerName string
@description('Container of published models (read for the publish gate and a warm start).')
param embeddingsContainerName string
@allowed(['Consumption-GPU-NC8as-T4', 'Consumption-GPU-NC24-A100'])
param gpuProfileType string
@description('Longest a training execution may run, in seconds. A longer training continues in the next execution (see trainHandOverReserveSeconds).')
param replicaTimeoutSeconds int = 14400
@description('Time left in an execution for the final checkpoint, evaluation and uploads: the worker stops training at replicaTimeoutSeconds minus this, checkpoints and hands the run to the next execution.')
param trainHandOverReserveSeconds int = 1800
@description('Executions the platform retries on its own: none. A failed attempt leaves its message, which the queue delivers again and counts toward the poison threshold.')
param replicaRetryLimit int = 0
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

// What `sslrec train-worker` does, and the least each needs (tests/SslRec.Tests/Infra/Contracts/RoleContracts.cs
// checks the roles against this list):
// - artifacts: read run records, encoded datasets, the published run's model; write checkpoints,
//   candidates, run records and poison records; lease the run's train lock; delete old checkpoints →
//   Storage Blob Data Contributor on that container;
// - embeddings: read latest.json and the manifest (publish gate, warm start) → Storage Blob Data Reader on it;
// - datasets and the function app's deployment package: nothing;
// - the training queue: receive, keep invisible (Update Message), delete, enqueue the continuation of a run
//   that reached its time budget; KEDA reads its length and peeks it → the custom role below on that queue;
// - the publish queue and the training poison queue: send → Storage Queue Data Message Sender on each.
// It never creates or deletes queues or containers: the storage module creates them.
resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource artifacts 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: artifactsContainerName
}

resource embeddings 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: embeddingsContainerName
}

resource artifactsAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(artifacts.id, identity.id, roles.storageBlobDataContributor)
  scope: artifacts
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource embeddingsAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(embeddings.id, identity.id, roles.storageBlobDataReader)
  scope: embeddings
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
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

// Storage Queue Data Contributor, the only built-in role with messages/write (Update Message), also lets its
// holder delete and re-create the queue. This role holds only the operations of the Storage REST API's
// Entra ID table that the worker and KEDA's azure-queue scaler call: Get Queue Metadata (queues/read), Peek
// Messages (messages/read), Get/Delete Message (messages/process/action), Update Message and Put Message
// (messages/write). Its name carries the job's name: custom role names are unique per tenant.
resource trainQueueWorkerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, name, 'train-queue-worker')
  properties: {
    roleName: 'SslRec training queue worker (${name})'
    description: 'Receive, renew, delete and re-enqueue messages of the SslRec training queue, and read its length; cannot create or delete queues.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: ['Microsoft.Storage/storageAccounts/queueServices/queues/read']
        notActions: []
        dataActions: [
          'Microsoft.Storage/storageAccounts/queueServices/queues/messages/read'
          'Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action'
          'Microsoft.Storage/storageAccounts/queueServices/queues/messages/write'
        ]
        notDataActions: []
      }
    ]
  }
}

resource trainQueueAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(trainQueue.id, identity.id, trainQueueWorkerRole.name)
  scope: trainQueue
  properties: {
    // The subscription-level id is how role assignments name a custom role (as `az role definition list` shows
    // it); the reference to the role's name orders the assignment after the role.
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', trainQueueWorkerRole.name)
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
  dependsOn: [artifactsAccess, embeddingsAccess, trainQueueAccess, publishQueueAccess, trainPoisonQueueAccess, pullAccess]
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
                // Count only visible messages: the one being trained is invisible and must not start a
                // second GPU execution (KEDA's default, 'all', counts it).
                queueLengthStrategy: 'visibleonly'
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
            // The worker checkpoints and hands the run on before the platform stops the replica.
            { name: 'SslRec__Pipeline__TrainTimeBudgetSeconds', value: string(replicaTimeoutSeconds - trainHandOverReserveSeconds) }
          ]
          resources: containerSize[gpuProfileType]
        }
      ]
    }
  }
}

output jobId string = job.id
output jobName string = job.name
output environmentName string = environment.name
output identityClientId string = identity.properties.clientId
