import type { DataParticipant } from '../../storage/participant.js'
import type { VaultData } from './identity.js'
import type { IdentityService } from './identity.service.js'

/**
 * The identity module's part in data-subject rights (the one port, `DataParticipant` in `src/storage/participant.ts`): the vault, the
 * pseudonym lookup (erasing it makes the customer reference unresolvable, so it goes last), and the
 * rectification rule that merges corrected vault fields over the current ones.
 */
export function identityDataParticipant(identity: IdentityService) {
  return {
    name: 'identity',
    exportSubject: async (subjectId: string) => ({
      vault: (await identity.readVault(subjectId)) ?? null,
    }),
    eraseSubject: async (executor, subjectId) => {
      await identity.eraseSubject(executor, subjectId)
      return { subjects: 1 }
    },
    rectify: async (executor, subjectId, input) => {
      if (input.vault === undefined) return {}
      const current = (await identity.readVault(subjectId, executor)) ?? {}
      await identity.writeVault(executor, subjectId, { ...current, ...input.vault })
      return { vaultFields: Object.keys(input.vault).length }
    },
  } satisfies DataParticipant<{ vault?: VaultData | undefined }>
}
