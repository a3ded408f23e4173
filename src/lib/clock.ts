/**
 * Time comes from an injected clock so that retention, deadlines and token expiry can be tested by
 * moving time forward instead of sleeping.
 */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock for tests: starts at `start` and moves only when told. */
export function createManualClock(start: Date | string = '2026-01-01T00:00:00Z'): Clock & {
  advance(ms: number): void
  set(date: Date | string): void
} {
  let current = new Date(start).getTime()
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current += ms
    },
    set(date: Date | string) {
      current = new Date(date).getTime()
    },
  }
}

export const DAY_MS = 86_400_000
