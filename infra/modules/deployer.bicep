// Data-plane roles for the person (or group) who operates SslRec: the storage account has keys disabled,
// so `az storage blob upload-batch --auth-mode login` and `sslrec drop/status/retrain/recommend` need these.
// - blobs: upload datasets and _READY, read run records and published embeddings → Storage Blob Data
//   Contributor on the account;
// - `sslrec drop` enqueues the BlobCreated event on the drop queue, `sslrec retrain` a retrain message →
//   Storage Queue Data Message Sender on those two queues.
import { roles } from 'roles.bicep'

param storageAccountName string
param principalId string
@allowed(['User', 'Group', 'ServicePrincipal'])
param principalType string
param dropQueueName string
param retrainQueueName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource dropQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: queueService
  name: dropQueueName
}

resource retrainQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: queueService
  name: retrainQueueName
}

resource blobAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageBlobDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: principalId
    principalType: principalType
  }
}

resource dropAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dropQueue.id, principalId, roles.storageQueueDataMessageSender)
  scope: dropQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
    principalId: principalId
    principalType: principalType
  }
}

resource retrainAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(retrainQueue.id, principalId, roles.storageQueueDataMessageSender)
  scope: retrainQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
    principalId: principalId
    principalType: principalType
  }
}
