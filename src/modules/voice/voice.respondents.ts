/**
 * Reads what the representativeness check compares: the shopper base (every known subject, with the
 * jurisdiction on record, the personalization level in effect and their tenure) and the respondents of a window
 * (the owners of voice entries in it), both through other modules' services, never their tables.
 */
import { DAY_MS } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import type { ConsentService } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import type { VoiceRepository } from './voice.repository.js'
import {
  MIN_RESPONDENTS,
  SKEW_THRESHOLD,
  type Representativeness,
  type ShopperProfile,
  compareProfiles,
  tenureOf,
} from './voice.representativeness.js'

export interface RespondentsDeps {
  db: Db
  repo: VoiceRepository
  identity: Pick<IdentityService, 'listSubjects'>
  consent: Pick<ConsentService, 'getSettings'>
}

/** The longest window, in days. */
export const MAX_WINDOW_DAYS = 366
const PAGE = 500

/** Every known subject's groups, by subject id, a page at a time. */
async function shopperBase(deps: RespondentsDeps, now: Date) {
  const base = new Map<string, ShopperProfile>()
  for (let after = ''; ;) {
    const page = await deps.identity.listSubjects(after, PAGE)
    if (page.length === 0) break
    for (const { subjectId, createdAt } of page) {
      // The jurisdiction on record and the level in effect (what consent lets the chosen level be).
      const settings = await deps.consent.getSettings(subjectId, {})
      base.set(subjectId, {
        jurisdiction: settings.jurisdiction,
        level: settings.effectiveLevel,
        tenure: tenureOf(createdAt, now),
      })
    }
    after = page.at(-1)!.subjectId
  }
  return base
}

/** Respondents of the last `days` days against the shopper base. */
export async function measureRepresentativeness(
  deps: RespondentsDeps,
  now: Date,
  days: number,
): Promise<Representativeness> {
  if (!Number.isInteger(days) || days < 1 || days > MAX_WINDOW_DAYS) {
    throw new AppError('validation_failed', 'The window is not valid', {
      issues: [{ field: 'querystring.days', reason: `must be 1 to ${MAX_WINDOW_DAYS}` }],
    })
  }
  const from = new Date(now.getTime() - days * DAY_MS).toISOString()
  const owners = await deps.repo.listOwnersSince(deps.db, from)
  const base = await shopperBase(deps, now)
  const respondents: ShopperProfile[] = []
  let anonymous = 0
  for (const owner of owners) {
    const profile = base.get(owner)
    if (profile === undefined) anonymous++
    else respondents.push(profile)
  }
  const enough = respondents.length >= MIN_RESPONDENTS
  const dimensions = compareProfiles([...base.values()], respondents, SKEW_THRESHOLD)
  return {
    from,
    to: now.toISOString(),
    threshold: SKEW_THRESHOLD,
    minRespondents: MIN_RESPONDENTS,
    baseShoppers: base.size,
    respondents: respondents.length,
    anonymousRespondents: anonymous,
    enough,
    skewed: enough ? dimensions.some((d) => d.skewed) : null,
    dimensions,
  }
}
