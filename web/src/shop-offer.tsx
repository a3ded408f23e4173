/**
 * The demo shop's offer slot (issue 21): the offer Candor picks for this shopper at the storefront
 * touchpoint (`GET /v1/offers`), at the level their consent allows, with its explanation and the same
 * two ways out a suggestion has: "not this" (this offer never again) and "stop" (withdraw the purpose
 * the offer rests on). Nothing shows when no offer is eligible or the frequency cap is reached.
 */
import { useEffect, useState } from 'preact/hooks'
import type { AnswerOf } from './client.js'
import { clientFor, ok } from './client.js'

type OfferAnswer = Extract<AnswerOf<'/v1/offers', 'get'>, { answerId: string }>
type Link = { method: string; href: string; body: Record<string, unknown> }

/** The storefront's touchpoint in the demo charter. */
const TOUCHPOINT = 'recommendations_widget'

/** Follows one of the answer's ready-made links with the shopper's token. */
async function follow(token: string, link: Link): Promise<void> {
  const response = await fetch(link.href, {
    method: link.method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(link.body),
  })
  if (!response.ok) throw new Error(`Candor answered ${response.status}`)
}

export function OfferSlot(props: {
  token: string
  shopper: string
  /** False while the first privacy choice is asked. */
  ready: boolean
  /** Changes when the shopper's choices do: the slot asks again. */
  version: number
  say: (message: string) => void
}) {
  const { token, shopper } = props
  const [answer, setAnswer] = useState<OfferAnswer>()
  const [asked, setAsked] = useState(0)

  useEffect(() => {
    if (!props.ready) return
    let live = true
    ok(
      clientFor(token).GET('/v1/offers', {
        params: { query: { subject: shopper, touchpoint: TOUCHPOINT } },
      }),
    )
      .then((a) => live && 'answerId' in a && setAnswer(a))
      // No offer is no loss: the slot simply stays empty.
      .catch(() => live && setAnswer(undefined))
    return () => {
      live = false
    }
  }, [props.ready, props.version, asked, shopper])

  const offer = answer?.offer
  if (!props.ready || offer == null) return null
  const act = (link: Link | undefined, said: string) => {
    if (link === undefined) return
    follow(token, link)
      .then(() => {
        props.say(said)
        setAsked((n) => n + 1)
      })
      .catch((e: unknown) => props.say(e instanceof Error ? e.message : String(e)))
  }
  return (
    <aside
      class="offer-slot"
      aria-labelledby="offer-slot-h"
      data-testid="offer-slot"
      data-offer={offer.id}
      data-used={answer?.dataUsed}
    >
      <p class="offer-kicker">Offer</p>
      <h2 id="offer-slot-h">{offer.content.title}</h2>
      {offer.content.text === undefined ? null : <p>{offer.content.text}</p>}
      <p class="offer-why" data-testid="offer-why">
        <strong>Why this offer:</strong> {offer.explanation.sentence}
      </p>
      <div class="offer-links">
        <button
          type="button"
          onClick={() => act(offer.links.notThis, 'We will not show you that offer again.')}
        >
          Not this
        </button>
        {offer.links.stop === undefined ? null : (
          <button
            type="button"
            onClick={() =>
              act(offer.links.stop, 'Done: offers and suggestions no longer use your history.')
            }
          >
            Stop using my history
          </button>
        )}
        <a href={offer.links.why}>What Candor knows</a>
      </div>
    </aside>
  )
}
