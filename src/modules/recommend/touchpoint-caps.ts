import type { Clock } from '../../lib/clock.js'
import type { Db } from '../../storage/db.js'
import { type Charter, type CapWindow, capWindow } from '../charter/index.js'
import { createTouchpointCountRepository } from './touchpoint-caps.repository.js'

/** The cap that stopped an answer, as the answer names it. */
export interface CapReached {
  touchpoint: string
  max: number
  perDays: number
  /** When the window ends and the touchpoint may reach the shopper again (ISO 8601, UTC). */
  resetsAt: string
}

export interface TouchpointCapsDeps {
  db: Db
  clock: Clock
  charter: Charter
}

export type TouchpointCaps = ReturnType<typeof createTouchpointCaps>

function reached(window: CapWindow): CapReached {
  return {
    touchpoint: window.touchpoint,
    max: window.max,
    perDays: window.perDays,
    resetsAt: window.resetsAt.toISOString(),
  }
}

/** The most times one claim takes from the database (see `claim` in the repository). */
const CLAIM_BLOCK = 25
/** Past this many owners held, claims of windows that ended are dropped (and all, if that is not enough). */
const MAX_OWNERS_HELD = 50_000

/** owner -> touchpoint -> what this process claimed in the current window. */
type Claims = Map<string, Map<string, Claim>>

interface Claim {
  /** The window the claimed times belong to (ms). */
  windowStart: number
  /** Claimed times not yet used. */
  left: number
  /** The database had none left to claim in this window. */
  usedUp: boolean
}

/** Past `MAX_OWNERS_HELD` owners, drops claims of windows that ended (and all, if that is not enough). */
function prune(charter: Charter, claims: Claims, now: number) {
  if (claims.size < MAX_OWNERS_HELD) return
  for (const [owner, held] of claims) {
    for (const [touchpoint, claim] of held) {
      const window = capWindow(charter, touchpoint, new Date(now))
      if (window === undefined || window.startsAt.getTime() !== claim.windowStart)
        held.delete(touchpoint)
    }
    if (held.size === 0) claims.delete(owner)
  }
  // Unused claimed times dropped here are only given to nobody: the cap still holds.
  if (claims.size >= MAX_OWNERS_HELD) claims.clear()
}

/** `take` of the caps: from this process's claims when it holds one, else by a new claim. */
async function take(
  deps: TouchpointCapsDeps,
  repo: ReturnType<typeof createTouchpointCountRepository>,
  claims: Claims,
  owner: string,
  touchpoint: string,
): Promise<CapReached | undefined> {
  const now = deps.clock.now()
  const window = capWindow(deps.charter, touchpoint, now)
  if (window === undefined) return undefined
  const windowStart = window.startsAt.getTime()
  const held = claims.get(owner)?.get(touchpoint)
  if (held !== undefined && held.windowStart === windowStart) {
    if (held.left > 0) {
      held.left -= 1
      return undefined
    }
    if (held.usedUp) return reached(window)
  }
  const claimed = await repo.claim(
    deps.db,
    {
      owner,
      touchpoint,
      windowStart: window.startsAt.toISOString(),
      resetsAt: window.resetsAt.toISOString(),
    },
    window.max,
    CLAIM_BLOCK,
  )
  // Read again: a concurrent request of this process may have claimed meanwhile.
  let mine = claims.get(owner)
  if (mine === undefined) {
    prune(deps.charter, claims, now.getTime())
    claims.set(owner, (mine = new Map<string, Claim>()))
  }
  const current = mine.get(touchpoint)
  const claim =
    current !== undefined && current.windowStart === windowStart
      ? current
      : { windowStart, left: 0, usedUp: false }
  mine.set(touchpoint, claim)
  if (claimed === 0) {
    claim.usedUp = true
    if (claim.left === 0) return reached(window)
    claim.left -= 1
    return undefined
  }
  claim.left += claimed - 1
  return undefined
}

/**
 * The charter's frequency caps (`touchpoints.*.frequencyCap`), kept per owner (a subject id, or an
 * anonymous visit's session key) and touchpoint: the notice promises them, so every answer served at a
 * capped touchpoint is counted, and the one past the cap is told which cap it met.
 *
 * The count lives in the database, shared by every process on it. Asking it on every answer cost a write
 * per recommendation (about 0.2 ms on SQLite), so a process claims a few times at once (at most
 * `CLAIM_BLOCK`, and at most a quarter of what is left) and hands them out from memory; the claim itself
 * never goes past the cap, so no process together with the others ever serves more than `max` in a
 * window. Several processes may hold a few claimed times each near the end of a window: an answer from one
 * of them can be capped while another still has one to give (never more than `max` in all).
 */
export function createTouchpointCaps(deps: TouchpointCapsDeps) {
  const repo = createTouchpointCountRepository()
  /** owner -> touchpoint -> what this process claimed in the current window. */
  const claims: Claims = new Map()

  return {
    /**
     * Counts one time `touchpoint` reaches `owner` now, or says which cap it would break (then nothing is
     * counted). A touchpoint the charter does not declare has no cap.
     */
    async take(owner: string, touchpoint: string): Promise<CapReached | undefined> {
      return take(deps, repo, claims, owner, touchpoint)
    },

    /**
     * The owner's counters (access): per touchpoint and window, the times counted so far (claimed by
     * serving processes, so possibly a few more than were shown).
     */
    async listOwner(owner: string) {
      return repo.listOwner(deps.db, owner)
    },

    /** Every counter of the owner (erasure), inside the caller's transaction. */
    async eraseOwner(executor: Db, owner: string): Promise<number> {
      claims.delete(owner)
      return repo.deleteOwner(executor, owner)
    },

    /** Counters of windows that ended (retention). */
    async deleteEnded(executor: Db, now: Date): Promise<number> {
      return repo.deleteEnded(executor, now.toISOString())
    },
  }
}
