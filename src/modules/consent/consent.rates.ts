import { z } from 'zod'
import { DAY_MS } from '../../lib/clock.js'
import { isRealDay } from '../../lib/days.js'
import { AppError } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import { countConsentsByDay } from './consent.repository.js'

/** The longest period one question may cover, and the period when none is given. */
export const MAX_RATE_DAYS = 366
export const DEFAULT_RATE_DAYS = 30

export const DaySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day as YYYY-MM-DD')
  .refine(isRealDay, 'must be a real day')

/** Choices recorded for one purpose on one UTC day. */
export const ConsentRateSchema = z.object({
  day: z.string().describe('UTC day, YYYY-MM-DD'),
  purpose: z.string(),
  granted: z.number().int().describe('Grants'),
  withdrawn: z.number().int().describe('Denials by someone whose previous choice was a grant'),
  refused: z.number().int().describe('Other denials: a first "no", or "no" again'),
})
export type ConsentRate = z.infer<typeof ConsentRateSchema>

export const ConsentRatesSchema = z.object({
  from: z.string(),
  to: z.string(),
  days: z.array(ConsentRateSchema).describe('One entry per day and purpose with any choice'),
})
export type ConsentRates = z.infer<typeof ConsentRatesSchema>

const dayOf = (date: Date) => date.toISOString().slice(0, 10)

/**
 * The period a question covers: `to` (by default today, UTC) and `from` (by default 29 days before it),
 * both included. Throws `validation_failed` naming `querystring.from` when it is after `to` or the period is
 * longer than a year.
 */
export function ratePeriod(
  input: { from?: string | undefined; to?: string | undefined },
  today: Date,
): { from: string; to: string } {
  const to = input.to ?? dayOf(today)
  const toMs = Date.parse(`${to}T00:00:00Z`)
  const from = input.from ?? dayOf(new Date(toMs - (DEFAULT_RATE_DAYS - 1) * DAY_MS))
  const span = (toMs - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1
  if (span < 1) {
    throw new AppError('validation_failed', 'querystring.from: must not be after to', {
      issues: [{ field: 'querystring.from', reason: 'must not be after to' }],
    })
  }
  if (span > MAX_RATE_DAYS) {
    throw new AppError(
      'validation_failed',
      `querystring.from: at most ${MAX_RATE_DAYS} days before to`,
      {
        issues: [
          { field: 'querystring.from', reason: `must be at most ${MAX_RATE_DAYS} days before to` },
        ],
      },
    )
  }
  return { from, to }
}

/**
 * Grants, withdrawals and refusals per purpose and UTC day, read from the consent ledger itself (not the
 * audit log), so every choice counts once whatever else happened that day. A withdrawal is a denial by a
 * subject whose previous choice for the purpose was a grant. Records of erased shoppers are gone from
 * the ledger and so from these counts.
 */
export async function consentRatesByDay(
  db: Db,
  period: { from: string; to: string },
): Promise<ConsentRates> {
  const end = new Date(Date.parse(`${period.to}T00:00:00Z`) + DAY_MS).toISOString()
  const counts = await countConsentsByDay(db, `${period.from}T00:00:00.000Z`, end)
  const cells = new Map<string, ConsentRate>()
  for (const c of counts) {
    const key = `${c.day}\u0000${c.purpose}`
    let cell = cells.get(key)
    if (cell === undefined) {
      cell = { day: c.day, purpose: c.purpose, granted: 0, withdrawn: 0, refused: 0 }
      cells.set(key, cell)
    }
    if (c.decision === 'granted') cell.granted += c.n
    else if (c.previous === 'granted') cell.withdrawn += c.n
    else cell.refused += c.n
  }
  const days = [...cells.values()].sort((a, b) =>
    a.day === b.day ? (a.purpose < b.purpose ? -1 : 1) : a.day < b.day ? -1 : 1,
  )
  return { ...period, days }
}
