// Container registry for the trainer image; the admin user is off (pulls use the job's identity).
param location string
param name string

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  sku: { name: 'Basic' }
  properties: { adminUserEnabled: false }
}

output id string = registry.id
output name string = registry.name
output loginServer string = registry.properties.loginServer
