/**
 * The privacy center: everything a shopper can see and change about themself, through their own shopper
 * token only. Parts of Candor that this server does not offer yet are shown as such, never as errors.
 *
 * The page's state lives in `usePrivacyCenter` (use-privacy-center.ts), the rights requests' flow in
 * `useRightsRequests`; each section is a component of its own (privacy-sections.tsx, privacy-rights.tsx).
 */
import { OfferWhySection, useAnchorKept } from './privacy-anchor.js'
import { ErasedView } from './privacy-erased.js'
import { ExperimentsSection } from './privacy-experiments.js'
import { StatusLine } from './privacy-note.js'
import { EraseSection, RequestsSection } from './privacy-rights.js'
import { StatisticsSection } from './privacy-statistics.js'
import {
  ConsentsSection,
  HoldsSection,
  LevelSection,
  NoticeSection,
  WhySection,
} from './privacy-sections.js'
import { usePrivacyCenter } from './use-privacy-center.js'
import './privacy.css'

export { placeText } from './privacy-sections.js'

export function PrivacyCenter() {
  const center = usePrivacyCenter()
  const { session, notice, message: note, erased, rights } = center
  useAnchorKept()

  if (erased !== undefined && notice !== undefined) {
    return <ErasedView request={erased} controller={notice.controller.name} />
  }
  if (session === undefined || notice === undefined) return <main class="page">Loading…</main>
  if (session === null) {
    return (
      <main class="page">
        <h1>Your privacy center</h1>
        <p>
          Open this page from the shop: it needs to know who you are. The shop links here with a
          short-lived key.
        </p>
      </main>
    )
  }

  const acting = { session, note, say: center.say }
  return (
    <main class="page privacy">
      <p class="crumbs">
        <a href="/">Back to the shop</a>
      </p>
      <h1>Your privacy center</h1>
      <p>
        Signed in as <strong>{session.name}</strong>. This page shows what Candor holds about you
        for {notice.controller.name}, and lets you change it.
      </p>
      <StatusLine at="top" note={note} />
      <OfferWhySection session={session} />
      <HoldsSection
        {...acting}
        notice={notice}
        consents={center.consents}
        settings={center.settings}
        rights={rights}
      />
      <LevelSection
        {...acting}
        notice={notice}
        settings={center.settings}
        onSaved={center.setSettings}
      />
      <p data-testid="suggestions-link">
        <a href={`/privacy/suggestions${location.hash}`}>How suggestions work</a>: what they use,
        how well they work and where they may be unfair.
      </p>
      <WhySection rows={center.rows} note={note} />
      <ConsentsSection
        {...acting}
        notice={notice}
        consents={center.consents}
        again={center.again}
      />
      <StatisticsSection notice={notice} consents={center.consents} />
      <ExperimentsSection session={session} />
      <RequestsSection requests={center.requests} note={note} />
      <EraseSection rights={rights} token={session.token} note={note} />
      <NoticeSection notice={notice} note={note} />
    </main>
  )
}
