export {
  type Keyring,
  type KeyFile,
  type KeyringHolder,
  KeyFileError,
  addMasterKey,
  createKeyringHolder,
  generateKeyFile,
  keyringFromFile,
  loadOrCreateKeyring,
  readKeyFile,
  readKeyring,
  writeKeyFile,
} from './keyring.js'
export { CustomerRefSchema, VaultDataSchema, type VaultData } from './identity.js'
export { createIdentityService, type IdentityService } from './identity.service.js'
export { identityDataParticipant } from './identity.participant.js'
