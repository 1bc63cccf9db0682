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
@allowed(['Consumption-GPU-NC8as-T4', 'Consumption-GPU-NC24-A100'])
param gpuProfileType string
@description('Longest a training execution may run, in seconds (checkpoints make a retry resume).')
param replicaTimeoutSeconds int = 14400
param replicaRetryLimit int = 2
param maxExecutions int = 2

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

// Blobs: read datasets, write checkpoints, candidates and run records. Queues: take and delete training
// messages, send publish messages, and let the scaler read the queue length.
var storageRoles = [roles.storageBlobDataContributor, roles.storageQueueDataMessageProcessor, roles.storageQueueDataMessageSender, roles.storageQueueDataReader]

resource storageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in storageRoles: {
  name: guid(storage.id, identity.id, role)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}]

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
  dependsOn: [storageAccess, pullAccess]
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
            { name: 'AzureWebJobsStorage__accountName', value: storage.name }
            { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
          ]
          resources: { cpu: json('8'), memory: '56Gi' }
        }
      ]
    }
  }
}

output jobName string = job.name
output environmentName string = environment.name
output identityClientId string = identity.properties.clientId
