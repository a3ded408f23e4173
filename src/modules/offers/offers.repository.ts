import { scheduledDefinitions } from '../../storage/scheduled-definitions.js'
import type { Offer } from './offers.js'

/**
 * The offers table (migration 0027), read and written only here, through the SQL it shares with the
 * surveys' table (`storage/scheduled-definitions.ts`). Offers staff defined: no personal data
 * (conditions, never lists of shoppers).
 */
export function createOfferRepository() {
  return scheduledDefinitions<Offer>('offers')
}
