// An alert on failed executions of the GPU training job. A worker that fails before it takes its message
// (a 403 while a role assignment propagates, a wrong client id) never raises the message's dequeue count, so
// nothing is poisoned and KEDA starts a new GPU execution every polling interval; this makes it visible
// within minutes. Metric: `Executions` of Microsoft.App/jobs, dimension `state` (Azure Monitor's supported
// metrics for Container Apps jobs).
param name string
@description('Resource id of the Container Apps job the alert watches.')
param jobId string
@description('Address that receives the alert by email; empty: the alert fires in Azure Monitor only.')
param alertEmail string = ''

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${name}-trainer-alerts'
  location: 'global'
  properties: {
    groupShortName: 'sslrec'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [{ name: 'operator', emailAddress: alertEmail, useCommonAlertSchema: true }]
  }
}

resource failedExecutions 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${name}-trainer-failed-executions'
  location: 'global'
  properties: {
    description: 'A training job execution failed. Repeated failures usually mean the worker cannot start (roles, client id, image): each one starts another GPU execution until fixed; the execution\'s log says what it lacks.'
    severity: 2
    enabled: true
    scopes: [jobId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    targetResourceType: 'Microsoft.App/jobs'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'FailedExecutions'
          metricNamespace: 'Microsoft.App/jobs'
          metricName: 'Executions'
          dimensions: [{ name: 'state', operator: 'Include', values: ['Failed'] }]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Total'
        }
      ]
    }
    autoMitigate: true
    actions: [{ actionGroupId: actionGroup.id }]
  }
}

output alertId string = failedExecutions.id
