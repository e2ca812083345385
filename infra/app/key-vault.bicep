// Key Vault for the secrets the kernel will hold: MCP server credentials and the
// callback signing secret. Access is by Azure RBAC only (no access policies):
// the app identity reads secrets, the deploying developer manages them.
//
// The app gets no Key Vault app setting yet: settings.ts does not declare one,
// and the setting arrives with the issue that first reads a secret. Until then
// the vault URI is only a deployment output (AZURE_KEY_VAULT_ENDPOINT).

@description('Vault name (3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the vault.')
param tags object

@description('Turn on purge protection (irreversible).')
param enablePurgeProtection bool = false

@description('Days a deleted vault or secret stays recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // Purge protection accepts only true or absent.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

@description('Vault name.')
output name string = vault.name

@description('Vault URI, e.g. https://kv-xyz.vault.azure.net/.')
output endpoint string = vault.properties.vaultUri
