// Storage for datasets, artifacts, published embeddings, the function app's deployment package, and the
// pipeline's queues. Keys are disabled: every caller authenticates with Microsoft Entra ID.
param location string
param name string
@description('Queues of the pipeline (QueueNames in src/SslRec.Pipeline); each also gets its -poison queue.')
param queues array
param deploymentContainer string
@description('Container for Event Grid events that could not be delivered.')
param deadLetterContainer string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for c in ['datasets', 'artifacts', 'embeddings', deploymentContainer, deadLetterContainer]: {
  parent: blobService
  name: c
  properties: { publicAccess: 'None' }
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queueResources 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for q in concat(queues, map(queues, q => '${q}-poison')): {
  parent: queueService
  name: q
}]

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer}'
