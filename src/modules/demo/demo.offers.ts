import type { OfferInput } from '../offers/index.js'

/**
 * The demo shop's offers (issue 21): one for everyone on the storefront (it reads nothing about the
 * shopper), one for shoppers whose history shows the kitchen range (only with their consent to
 * suggestions from their history), and one for the e-mail touchpoint (`candor offers send`).
 */
export const DEMO_OFFERS: readonly OfferInput[] = [
  {
    id: 'free-delivery',
    content: {
      title: 'Free delivery this week',
      text: 'On every order over £20, whatever you choose.',
    },
    eligibility: {},
    schedule: {},
    touchpoints: ['recommendations_widget'],
    purpose: 'personalize.recommendations',
    priority: 0,
    active: true,
  },
  {
    id: 'kitchen-lovers',
    content: {
      title: '15% off kitchen and dining',
      text: 'Mugs, tins and tea towels to go with what you already have.',
    },
    eligibility: { categoryAffinity: ['Kitchen and dining'] },
    schedule: {},
    touchpoints: ['recommendations_widget'],
    purpose: 'personalize.recommendations',
    priority: 10,
    active: true,
  },
  {
    id: 'spring-letter',
    content: { title: 'Spring gifts: 10% off for subscribers', text: 'Until the end of the month.' },
    eligibility: {},
    schedule: {},
    touchpoints: ['offers_email'],
    purpose: 'marketing.advertising.first_party',
    priority: 0,
    active: true,
  },
]
