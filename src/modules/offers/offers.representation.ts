/**
 * How an offer answer looks over HTTP: the explanation's sentence and the links a recommendation
 * carries ("not this" as the same ready-made feedback request, with `offer:<id>` as the item; "stop" as
 * the withdrawal of the offer's purpose; "why" as the privacy center's anchor).
 */
import { notThisLink } from '../recommend/index.js'
import { sentenceOf } from './offers.eligibility.js'
import type { OfferAnswer } from './offers.js'
import type { OfferChoice } from './offers.service.js'

/** The item id a "not this" on an offer names (the recommend module's feedback keeps it). */
export const offerFeedbackItem = (offerId: string) => `offer:${offerId}`

export function offerAnswerBody(choice: OfferChoice): OfferAnswer {
  const { verdict, subject, session, answerId } = choice
  const body: OfferAnswer = {
    answerId,
    touchpoint: choice.touchpoint,
    dataUsed: choice.dataUsed,
    dataReason: choice.dataReason,
    offer: null,
  }
  if (choice.cap !== undefined) body.cap = choice.cap
  if (verdict === undefined) return body
  const { offer } = verdict
  body.offer = {
    id: offer.id,
    content: offer.content,
    purpose: offer.purpose,
    explanation: {
      kind: verdict.kind,
      sentence: sentenceOf(verdict, choice.jurisdiction),
      evidence: [...verdict.evidence],
    },
    links: {
      notThis: notThisLink({
        recommId: answerId,
        subject,
        session,
        item: offerFeedbackItem(offer.id),
      }),
      why: `/privacy#offer-${encodeURIComponent(offer.id)}`,
      ...(offer.content.link === undefined
        ? {}
        : {
            open: `/v1/offers/${encodeURIComponent(offer.id)}/open?touchpoint=${encodeURIComponent(choice.touchpoint)}`,
          }),
      ...(subject === undefined
        ? {}
        : {
            stop: {
              method: 'PUT',
              href: `/v1/subjects/${encodeURIComponent(subject)}/consents/${encodeURIComponent(offer.purpose)}`,
              body: { decision: 'denied', method: 'api', noticeVersion: choice.noticeVersion },
            },
          }),
    },
  }
  return body
}
