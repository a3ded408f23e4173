/**
 * The identity module: pseudonymous subjects and the encrypted vault. It owns the `subjects`,
 * `subject_refs` and `vault_entries` tables and the key file.
 *
 * - the pseudonym and vault rules (a reference is looked up by its keyed hash, never stored; lazy
 *   rotation to the active pseudonym key; crypto-shredding on erasure): `identity.service.ts`; the key
 *   file and its keys: `keyring.ts`; its part in rights requests: `identity.participant.ts`;
 * - SQL: `identity.repository.ts`, each write made with the storage's `write` (announcing the subject);
 *   the in-memory copies (reference -> subject): `identity.cache.ts`, behind the repository's interface.
 *
 * May import: lib, storage. Other modules use it only through this file.
 */
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
