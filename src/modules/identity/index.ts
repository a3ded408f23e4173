export {
  type Keyring,
  type KeyFile,
  KeyFileError,
  generateKeyFile,
  keyringFromFile,
  loadOrCreateKeyring,
  readKeyFile,
  readKeyring,
  writeKeyFile,
} from './keyring.js'
export { pseudonymize } from './pseudonym.js'
