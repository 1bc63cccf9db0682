// SslRec on Azure: storage (datasets, artifacts, embeddings, queues), the isolated-worker Functions app on
// Flex Consumption, the GPU Container Apps job that trains, Service Bus for "embeddings published",
// Event Grid wiring of _READY markers to the drop queue, monitoring (with an alert on failed training
// executions) and a container registry.
// Deploy with: az deployment group create -g RG -f infra/main.bicep -p trainerImage=... (docs/deploy.md)
targetScope = 'resourceGroup'

@description('Region of every resource (pick one that offers the serverless GPU profile you choose).')
param location string = resourceGroup().location

@description('Short prefix of resource names (letters and digits).')
@minLength(3)
@maxLength(11)
param prefix string = 'sslrec'

@description('Serverless GPU workload profile of the training job.')
@allowed(['Consumption-GPU-NC8as-T4', 'Consumption-GPU-NC24-A100'])
param gpuProfileType string = 'Consumption-GPU-NC8as-T4'

@description('Container registry tier. Premium enables artifact streaming, which Microsoft recommends for serverless GPU cold starts (docs/deploy.md, "Faster GPU cold starts").')
@allowed(['Basic', 'Standard', 'Premium'])
param registrySku string = 'Basic'

@description('Email address that receives the alert on failed training executions; empty: no email (the alert still fires in Azure Monitor).')
param alertEmail string = ''

@description('Trainer image, e.g. myregistry.azurecr.io/sslrec-trainer:1 (built from infra/trainer.Dockerfile).')
param trainerImage string

@description('Object id of the user or group that uploads datasets and runs `sslrec drop/status/retrain/recommend` (az ad signed-in-user show --query id -o tsv). Empty: no data-plane roles for people.')
param deployerPrincipalId string = ''

@description('Kind of deployerPrincipalId.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param deployerPrincipalType string = 'User'

var suffix = uniqueString(resourceGroup().id)
var storageName = toLower('${prefix}${suffix}')
// The pipeline's queues (QueueNames in src/SslRec.Pipeline; a test keeps this list in step).
var queues = ['sslrec-drop', 'sslrec-shard-map', 'sslrec-shard-reduce', 'sslrec-remap', 'sslrec-train', 'sslrec-publish', 'sslrec-retrain', 'sslrec-embeddings-published']
var deploymentContainer = 'function-deployment'
var deadLetterContainer = 'eventgrid-deadletter'

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: take(storageName, 24)
    queues: queues
    deploymentContainer: deploymentContainer
    deadLetterContainer: deadLetterContainer
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    name: '${prefix}-${suffix}'
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    location: location
    name: '${prefix}-sb-${suffix}'
    topicName: 'embeddings-published'
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    location: location
    name: take(toLower('${prefix}acr${suffix}'), 50)
    sku: registrySku
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    name: '${prefix}-func-${suffix}'
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    insightsConnectionString: monitoring.outputs.insightsConnectionString
    insightsId: monitoring.outputs.insightsId
    serviceBusNamespaceName: serviceBus.outputs.name
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    serviceBusTopicName: serviceBus.outputs.topicName
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  params: {
    location: location
    name: '${prefix}-storage-events-${suffix}'
    storageAccountName: storage.outputs.name
    dropQueueName: 'sslrec-drop'
    deadLetterContainerName: deadLetterContainer
  }
}

module trainer 'modules/trainerjob.bicep' = {
  name: 'trainer'
  params: {
    location: location
    name: '${prefix}-trainer-${suffix}'
    logAnalyticsCustomerId: monitoring.outputs.workspaceCustomerId
    logAnalyticsWorkspaceName: '${prefix}-${suffix}-logs'
    storageAccountName: storage.outputs.name
    registryName: registry.outputs.name
    trainerImage: trainerImage
    trainQueueName: 'sslrec-train'
    publishQueueName: 'sslrec-publish'
    artifactsContainerName: 'artifacts'
    embeddingsContainerName: 'embeddings'
    gpuProfileType: gpuProfileType
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    name: '${prefix}-${suffix}'
    jobId: trainer.outputs.jobId
    alertEmail: alertEmail
  }
}

module deployer 'modules/deployer.bicep' = if (!empty(deployerPrincipalId)) {
  name: 'deployer'
  params: {
    storageAccountName: storage.outputs.name
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    dropQueueName: 'sslrec-drop'
    retrainQueueName: 'sslrec-retrain'
  }
}

output storageAccountName string = storage.outputs.name
output blobEndpoint string = storage.outputs.blobEndpoint
output queueEndpoint string = storage.outputs.queueEndpoint
output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output registryLoginServer string = registry.outputs.loginServer
output trainerJobName string = trainer.outputs.jobName
