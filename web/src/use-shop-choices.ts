/**
 * The demo shop's Candor client and the shopper's privacy choices: loaded from Candor for the session, the
 * banner opened on a first visit (unless the shopper said "later" in this tab), and a version that changes
 * whenever the choices do, so every row asks again.
 */
import { useEffect, useMemo, useState } from 'preact/hooks'
import { type Candor, createCandor } from '../../sdk/src/candor.js'
import { type ShopperSession, demoSession } from './session.js'
import type { DemoCatalog } from './api.js'

const PERSONAL = 'personalize.recommendations'

/** Set in this tab when the shopper chose "Decide later": the banner does not open again by itself. */
export const LATER_KEY = 'candor-demo.later'

/** The SDK for this shopper (also `window.candor`, for the browser's console and the tests). */
export function useShopCandor(session: ShopperSession, catalog?: DemoCatalog): Candor {
  return useMemo(() => {
    // Titles and stock for suggestions ranked in the browser (the `on_device` level).
    const products = new Map(
      catalog?.products.map((p) => [
        p.id,
        { title: p.title, category: [p.category], price: p.price },
      ]),
    )
    const instance = createCandor({
      catalog: (id) => products.get(id),
      subject: session.ref,
      token: session.token,
      refreshToken: async () => (await demoSession(session.ref)).token,
      flushIntervalMs: 1000,
    })
    ;(window as unknown as { candor: Candor }).candor = instance
    return instance
  }, [session, catalog])
}

export function useShopChoices(candor: Candor) {
  const [allowed, setAllowed] = useState<Record<string, boolean>>()
  const [decided, setDecided] = useState<boolean>()
  const [dialogOpen, setDialogOpen] = useState(false)
  const [failure, setFailure] = useState<string>()
  const [choicesVersion, setChoicesVersion] = useState(0)
  const [levelKnown, setLevelKnown] = useState(0)

  useEffect(() => {
    candor
      .loadConsent()
      .then(({ allowed: a, decided: d }) => {
        setAllowed(a)
        setDecided(d)
        if (d) {
          candor.setConsent(a)
          // The level on record decides where the history lives (this browser, at `on_device`).
          void candor.loadLevel().then(() => setLevelKnown((v) => v + 1))
        } else if (sessionStorage.getItem(LATER_KEY) === null) setDialogOpen(true)
      })
      .catch((e: unknown) => setFailure(e instanceof Error ? e.message : String(e)))
  }, [candor, choicesVersion])

  const choicesChanged = () => setChoicesVersion((v) => v + 1)

  /** The banner's answer: the decisions, and the level they allow; then every row asks again. */
  async function decide(
    decisions: Record<string, 'granted' | 'denied'>,
    noticeVersion: string,
    onDevice = false,
  ) {
    // Events waiting for this decision must not reach Candor when the history is to stay here.
    if (onDevice) candor.setConsent({})
    await candor.decide(decisions, noticeVersion, 'banner')
    const personal = onDevice ? 'on_device' : 'personal'
    await candor.setLevel(decisions[PERSONAL] === 'granted' ? personal : 'session')
    setDialogOpen(false)
    choicesChanged()
  }

  /** "Decide later": the banner closes and does not open again by itself in this tab. */
  function later() {
    sessionStorage.setItem(LATER_KEY, '1')
    setDialogOpen(false)
  }

  return {
    allowed,
    decided,
    dialogOpen,
    setDialogOpen,
    failure,
    choicesVersion: choicesVersion + levelKnown,
    choicesChanged,
    decide,
    later,
  }
}
