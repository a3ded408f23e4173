/**
 * The shopper-facing privacy notice, generated from the charter: plain words, short sentences, grouped by
 * how the choice works, and for each purpose what the shopper gets and what it costs them.
 *
 * Versioning: the version is the SHA-256 of the charter's canonical JSON (the validated value with object
 * keys sorted). So comments, indentation, quoting, key order and YAML folding do not change it; any change
 * of meaning does, including a reworded title or benefit, a new retention period, or a reordered list
 * (list order is kept because it is the order the notice shows).
 */
import { canonicalJson, sha256Hex } from '../../lib/crypto.js'
import {
  DATA_CATEGORIES,
  SPECIAL_CATEGORIES,
  type Charter,
  type DefaultChoice,
  type Purpose,
  type PurposeKey,
} from './charter.js'
import { resolveDefault } from './charter.rules.js'
import { federatedNoticeText } from './charter.federated.js'
import { NOTICE_LEVELS } from './charter.notice.levels.js'

export type NoticeGroupId =
  | 'needed'
  | 'ask_first'
  | 'depends_on_where_you_live'
  | 'unless_you_say_no'
  | 'only_if_you_turn_it_on'

export interface NoticePurpose {
  key: PurposeKey
  title: string
  /** What the shopper gets. */
  youGet: string
  /** What it costs them: the data, how long it is kept, who else gets it. */
  itCosts: {
    data: string[]
    keptFor: string
    sharedWith: string[]
  }
  /** How the shopper's choice works for this purpose, in one or two sentences. */
  yourChoice: string
  /** For purposes whose default differs by place: the rule in each declared place. */
  whereYouLive?: { place: string; rule: string }[]
  /** Whether Global Privacy Control opts the shopper out of it (sale, sharing, cross-context ads). */
  saleOrSharing: boolean
  /**
   * The special category it uses, in plain words ("your health"): chosen on its own, in the privacy
   * center, never with a banner's "Accept all".
   */
  specialCategory?: string
  /**
   * For the federated purpose: what the browser sends and how often, and the epsilons per
   * contribution and per day with what they mean (`federatedNoticeText`).
   */
  federated?: string
}

export interface NoticeGroup {
  id: NoticeGroupId
  heading: string
  intro: string
  purposes: NoticePurpose[]
}

/** The privacy notice as data. `renderNoticeHtml` turns it into a page. */
export interface Notice {
  /** Content hash of the charter; consent records point to it. */
  version: string
  language: string
  title: string
  controller: { name: string; contact: string; address?: string }
  summary: string[]
  levels: { level: 'off' | 'session' | 'personal' | 'on_device'; title: string; text: string }[]
  groups: NoticeGroup[]
  neverInferred: { intro: string; items: string[] }
  contactLimits: { intro: string; items: string[] }
  sharedWith: { name: string; country: string; role: string; purposes: string[] }[]
  gpc: string
  yourRights: string[]
  /**
   * The places the charter knows, by the code a consent answer's `jurisdiction` carries; `default` is for
   * a shopper whose place is not known or not listed. `rule` says in plain words what the law there means.
   */
  places: { code: string; title: string; consentRequired: boolean; rule: string }[]
  /**
   * Which purposes feed statistics (`aggregateAnalytics`) and how those are protected (differential
   * privacy), and per clean-room purpose what a partner gets. The privacy center shows it.
   */
  statistics: NoticeStatistics
  /** Where "How suggestions work" is: the privacy center's page and the model card it reads. */
  modelCard: { page: string; api: string; text: string }
}

/** The notice's part about statistics and the clean room, in plain words. */
export interface NoticeStatistics {
  /** The purposes whose data feeds statistics, by key and title. */
  purposes: { key: string; title: string }[]
  /** What that means and how you are protected; says so plainly when nothing feeds statistics. */
  text: string
  /** Per clean-room purpose: who the partners are and what they get. */
  cleanRoom: { key: string; title: string; partners: string[]; text: string }[]
}

/** Stable JSON (keys sorted at every level), shared with the audit chain. */
export { canonicalJson }

/**
 * The notice version of a charter: hex SHA-256 of its canonical JSON. Two charters that mean the same get the
 * same version however they are laid out.
 */
export function charterVersion(charter: Charter): string {
  return sha256Hex(canonicalJson(charter))
}

const versionCache = new WeakMap<Charter, string>()

/** `charterVersion`, computed once per (frozen) charter object. */
export function noticeVersionOf(charter: Charter): string {
  let version = versionCache.get(charter)
  if (version === undefined) {
    version = charterVersion(charter)
    versionCache.set(charter, version)
  }
  return version
}

/** "Kept for 90 days." in plain words; 0 days means deleted at the end of the visit. */
export function plainRetention(days: number): string {
  if (days === 0) return 'Deleted when your visit ends.'
  if (days % 365 === 0) {
    const years = days / 365
    return `Kept for ${years} ${years === 1 ? 'year' : 'years'}, then deleted.`
  }
  return `Kept for ${days} ${days === 1 ? 'day' : 'days'}, then deleted.`
}

function choiceText(purpose: Purpose, group: NoticeGroupId): string {
  switch (group) {
    case 'needed':
      return 'You cannot turn this off while you use the shop.'
    case 'only_if_you_turn_it_on':
      return 'Off unless you turn it on yourself, on its own, in your privacy center. You can turn it off at any time.'
    case 'ask_first':
      return 'Off until you say yes. You can change your mind at any time.'
    case 'unless_you_say_no':
      return 'On unless you say no. You can say no at any time.'
    case 'depends_on_where_you_live':
      return purpose.legalBasis === 'consent'
        ? 'Off until you say yes.'
        : 'Where the law asks us to, we ask you first. Elsewhere it is on unless you say no.'
  }
}

function groupOf(charter: Charter, purpose: Purpose): NoticeGroupId {
  if (purpose.legalBasis === 'contract') return 'needed'
  if (purpose.specialCategory !== undefined) return 'only_if_you_turn_it_on'
  const choices = new Set<DefaultChoice>(
    Object.keys(charter.jurisdictions).map((j) => resolveDefault(purpose, j)),
  )
  if (choices.size > 1) return 'depends_on_where_you_live'
  return choices.has('opt_out') ? 'unless_you_say_no' : 'ask_first'
}

/** Whether some non-contract purpose matching `which` goes ahead without a yes in some jurisdiction. */
function anyOptOut(charter: Charter, which: (p: Purpose) => boolean): boolean {
  return Object.values(charter.purposes).some(
    (p) =>
      p.legalBasis !== 'contract' &&
      which(p) &&
      Object.keys(charter.jurisdictions).some((j) => resolveDefault(p, j) === 'opt_out'),
  )
}

const GROUPS: Record<NoticeGroupId, { heading: string; intro: string }> = {
  needed: {
    heading: 'What we need to run the shop',
    intro: 'The shop does not work without these.',
  },
  ask_first: {
    heading: 'What we only do if you say yes',
    intro: 'These are off until you turn them on.',
  },
  depends_on_where_you_live: {
    heading: 'What depends on where you live',
    intro: 'Some laws ask us to get your yes first. Others let us go ahead until you say no.',
  },
  unless_you_say_no: {
    heading: 'What we do unless you say no',
    intro: 'These are on until you turn them off.',
  },
  only_if_you_turn_it_on: {
    heading: 'What we only do if you turn it on yourself',
    intro:
      'These use things that can say something sensitive about you. They stay off unless you turn each one on by itself.',
  },
}

/**
 * Build the privacy notice from a charter. Pure: the same charter always gives the same notice.
 *
 * @example
 *   const notice = renderNotice(charter)   // notice.version goes into every consent record
 */
export function renderNotice(charter: Charter): Notice {
  const { name, contact, address } = charter.controller
  return {
    version: noticeVersionOf(charter),
    language: charter.language,
    title: `How ${name} uses your data`,
    controller: address === undefined ? { name, contact } : { name, contact, address },
    summary: noticeSummary(charter),
    places: Object.entries(charter.jurisdictions).map(([code, j]) => ({
      code,
      title: j.title,
      consentRequired: j.consentRequired,
      rule: Object.values(charter.purposes).some((p) => resolveDefault(p, code) === 'opt_out')
        ? 'Some things are on until you say no; this notice says which.'
        : 'We ask you before anything that is not needed to run the shop.',
    })),
    levels: NOTICE_LEVELS,
    groups: noticeGroups(charter),
    statistics: noticeStatistics(charter),
    modelCard: { page: MODEL_CARD_PAGE, api: '/v1/model-card', text: MODEL_CARD_TEXT },
    neverInferred: {
      intro: Object.values(charter.purposes).some((p) => p.specialCategory !== undefined)
        ? 'We never guess these things about you. We never use them to choose what you see, unless you turn that on yourself (see above).'
        : 'We never guess these things about you. We never use them to choose what you see.',
      items: charter.specialCategories.map((c) => SPECIAL_CATEGORIES[c]),
    },
    contactLimits: {
      intro: 'How often we may reach you:',
      items: Object.values(charter.touchpoints).map(
        (t) =>
          `${t.title}: at most ${t.frequencyCap.max} ${t.frequencyCap.max === 1 ? 'time' : 'times'} every ${t.frequencyCap.perDays === 1 ? 'day' : `${t.frequencyCap.perDays} days`}.`,
      ),
    },
    sharedWith: Object.values(charter.vendors).map((v) => ({
      name: v.name,
      country: v.country,
      role:
        v.role === 'processor'
          ? 'Works for us and only on our instructions.'
          : 'Decides for itself how it uses the data.',
      purposes: v.purposes.map((p) => charter.purposes[p]?.title ?? p),
    })),
    gpc: 'If your browser sends the Global Privacy Control signal, we take it as a no to selling or sharing your data for advertising. If you later say yes here, your yes counts.',
    yourRights: [
      'You can see the data we hold about you.',
      'You can download it.',
      'You can have it corrected.',
      'You can have it deleted, including from our suggestion system.',
      'You can ask us to stop using it.',
      'You can change your mind at any time. The change works from your next click.',
      `You can complain to us at ${contact}, or to your data protection authority.`,
    ],
  }
}

const GROUP_ORDER: NoticeGroupId[] = [
  'needed',
  'ask_first',
  'depends_on_where_you_live',
  'unless_you_say_no',
  'only_if_you_turn_it_on',
]

/** The notice's opening lines: who decides, and the charter's defaults in one sentence each. */
function noticeSummary(charter: Charter): string[] {
  const { name, contact } = charter.controller
  return [
    `${name} runs this shop and decides how your data is used.`,
    'We only use your data for the reasons below.',
    anyOptOut(charter, () => true)
      ? 'Anything personal is off until you say yes, except where the law lets us go ahead until you say no.'
      : 'Anything personal is off until you say yes.',
    anyOptOut(charter, (p) => p.saleOrSharing)
      ? 'Where the law allows it, we may share data for advertising until you say no.'
      : 'We never sell or share your data for advertising without your yes.',
    `Questions? Write to ${contact}.`,
  ]
}

/**
 * Statistics in plain words: which purposes feed them, that they are protected by differential privacy,
 * and what a clean-room partner gets (counts over groups of shared customers, never a person).
 */
function noticeStatistics(charter: Charter): NoticeStatistics {
  const purposes = Object.entries(charter.purposes)
    .filter(([, p]) => p.aggregateAnalytics === true)
    .map(([key, p]) => ({ key, title: p.title }))
  const text =
    purposes.length === 0
      ? 'We do not use your data for statistics.'
      : [
          `What we keep for ${purposes.map((p) => `"${p.title}"`).join(', ')} also feeds our statistics, such as how many people bought a product each week.`,
          'These statistics are protected by differential privacy.',
          'This means the counts are blurred with random noise, so no answer shows whether you are in it.',
          'Our staff see only these blurred totals, never your own rows.',
        ].join(' ')
  const cleanRoom = Object.entries(charter.purposes)
    .filter(([, p]) => p.cleanRoom === true)
    .map(([key, p]) => {
      const partners = Object.values(charter.vendors)
        .filter((v) => v.purposes.includes(key))
        .map((v) => `${v.name} (${v.country})`)
      const who = partners.length === 0 ? 'A partner' : partners.join(', ')
      return {
        key,
        title: p.title,
        partners,
        text: [
          `Only if you say yes. ${who} can find out how many of their own customers also shop with us, and what groups of them buy.`,
          'Your e-mail address is compared in a scrambled form that neither side can turn back into an address.',
          'The partner only ever gets blurred totals over groups big enough to hide you, never your name, your address or a single purchase.',
        ].join(' '),
      }
    })
  return { purposes, text, cleanRoom }
}

/** Every purpose in plain words, grouped by what the shopper has to do about it, in GROUP_ORDER. */
function noticeGroups(charter: Charter): Notice['groups'] {
  const vendorsFor = (key: string) =>
    Object.values(charter.vendors)
      .filter((v) => v.purposes.includes(key))
      .map((v) => `${v.name} (${v.country})`)

  const groups = new Map<NoticeGroupId, NoticePurpose[]>()
  for (const [key, purpose] of Object.entries(charter.purposes)) {
    const group = groupOf(charter, purpose)
    const entry: NoticePurpose = {
      key,
      title: purpose.title,
      youGet: purpose.benefit,
      itCosts: {
        data: purpose.dataCategories.map((c) => DATA_CATEGORIES[c]),
        keptFor: plainRetention(purpose.retentionDays),
        sharedWith: vendorsFor(key),
      },
      yourChoice: choiceText(purpose, group),
      saleOrSharing: purpose.saleOrSharing,
      ...(purpose.specialCategory === undefined
        ? {}
        : { specialCategory: SPECIAL_CATEGORIES[purpose.specialCategory] }),
    }
    const federated = federatedNoticeText(purpose)
    if (federated !== undefined) entry.federated = federated
    if (group === 'depends_on_where_you_live') {
      entry.whereYouLive = Object.entries(charter.jurisdictions).map(([code, j]) => ({
        place: j.title,
        rule:
          resolveDefault(purpose, code) === 'opt_in'
            ? 'We ask you first.'
            : 'On unless you say no.',
      }))
    }
    groups.set(group, [...(groups.get(group) ?? []), entry])
  }
  return GROUP_ORDER.flatMap((id) => {
    const purposes = groups.get(id)
    return purposes === undefined ? [] : [{ id, ...GROUPS[id], purposes }]
  })
}

/** The privacy center's "How suggestions work" page (the model card, `GET /v1/model-card`). */
export const MODEL_CARD_PAGE = '/privacy/suggestions'
const MODEL_CARD_TEXT =
  'How suggestions work: the data each level uses, how suggestions are made, how well they work and where they may be biased.'
