// Container registry for the trainer image; the admin user is off (pulls use the job's identity).
param location string
param name string
@description('Basic by default; Premium allows artifact streaming, which shortens a GPU execution\'s cold start (docs/deploy.md).')
@allowed(['Basic', 'Standard', 'Premium'])
param sku string = 'Basic'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  sku: { name: sku }
  properties: { adminUserEnabled: false }
}

output id string = registry.id
output name string = registry.name
output loginServer string = registry.properties.loginServer
