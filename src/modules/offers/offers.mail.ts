/**
 * The e-mail touchpoint (issue 21): one message per consenting subject, prepared through the outbox
 * (the rights module's notifier: files a mail relay picks up and deletes; dropped unsent after
 * `MESSAGE_TTL_DAYS`, and with the subject's erasure), each with a one-click unsubscribe link
 * (`offers.unsubscribe.ts`) that records the withdrawal of the offer's purpose in the consent ledger.
 *
 * Who gets one: a subject with a grant on record for every purpose the touchpoint serves (an e-mail
 * never rests on a default), still allowed now (not withdrawn, objected or restricted), with an address
 * in the vault, an offer eligible at the level their consent allows for its purpose, and room under the
 * touchpoint's frequency cap. Nothing personal is logged or audited: counts only.
 */
import type { Clock } from '../../lib/clock.js'
import { base64url, hmacSha256 } from '../../lib/crypto.js'
import { AppError } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import type { Charter } from '../charter/index.js'
import type { ConsentService } from '../consent/index.js'
import type { IdentityService, KeyringHolder } from '../identity/index.js'
import type { Notifier } from '../rights/index.js'
import { type Verdict, sentenceOf } from './offers.eligibility.js'
import type { OffersService } from './offers.service.js'
import { UNSUBSCRIBE_TTL_DAYS, createUnsubscribeTokens } from './offers.unsubscribe.js'

/** An offer e-mail nobody picked up is dropped after this long (and with the subject's erasure). */
export const MESSAGE_TTL_DAYS = 7

const DAY_MS = 86_400_000

export interface OfferMailDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
  keys: KeyringHolder
  consent: Pick<ConsentService, 'subjectsWithGrant' | 'state' | 'recordChange' | 'noticeVersion'>
  identity: Pick<IdentityService, 'readVault'>
  outbox: Pick<Notifier, 'sendMessage' | 'discard' | 'pending'>
  offers: Pick<OffersService, 'pickForSubject'>
  /** Where this server is reached from a mail reader (the unsubscribe link's origin). */
  publicUrl: string
}

/** What a send did, by count: nobody is named. */
export interface SendCounts {
  touchpoint: string
  /** Subjects with a grant on record for the touchpoint's purposes, allowed now. */
  candidates: number
  prepared: number
  /** Candidates the touchpoint's frequency cap held back. */
  capped: number
  /** Candidates no running offer is eligible for (at the level their consent allows). */
  noOffer: number
  /** Candidates without an e-mail address in the vault. */
  noAddress: number
  /** Messages prepared per offer id. */
  byOffer: Record<string, number>
}

export type UnsubscribeOutcome = 'unsubscribed' | 'already_unsubscribed' | 'nothing_held'

export type OfferMail = ReturnType<typeof createOfferMail>

function invalidTouchpoint(reason: string): AppError {
  return new AppError('validation_failed', `touchpoint: ${reason}`, {
    issues: [{ field: 'body.touchpoint', reason }],
  })
}

export function createOfferMail(deps: OfferMailDeps) {
  const tokens = createUnsubscribeTokens(deps.keys, Object.keys(deps.charter.purposes))

  /** The outbox keys of a subject's offer e-mails, under every pseudonym key (rotation keeps them). */
  const messageKeys = (subjectId: string): string[] => {
    const set = deps.keys.current().pseudonym
    return [set.active, ...set.all().filter((k) => k.id !== set.active.id)].map(
      (k) => `ofm_${base64url(hmacSha256(k.secret, `offers-mail|${subjectId}`)).slice(0, 32)}`,
    )
  }

  function unsubscribeUrl(token: string): string {
    // Under the public URL's path, if it has one (a proxy may serve Candor below /candor).
    return `${deps.publicUrl.replace(/\/+$/, '')}/v1/unsubscribe/${token}`
  }

  function compose(verdict: Verdict, to: string, token: string, jurisdiction: string) {
    const { content } = verdict.offer
    const url = unsubscribeUrl(token)
    const lines = [
      content.title,
      '',
      ...(content.text === undefined ? [] : [content.text, '']),
      ...(content.link === undefined ? [] : [content.link, '']),
      `Why you get this: ${sentenceOf(verdict, jurisdiction)}`,
      '',
      `No more offers by e-mail: ${url}`,
    ]
    return {
      to,
      subject: content.title,
      text: lines.join('\n'),
      headers: {
        'List-Unsubscribe': `<${url}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    }
  }

  return {
    /**
     * Prepares the touchpoint's messages now (see the file comment for who gets one). `onProgress` is
     * told after each candidate; the answer is counts only.
     *
     * @example await mail.send('offers_email', { kind: 'cli', command: 'offers send' })
     */
    async send(
      touchpoint: string,
      actor: Actor,
      onProgress?: (done: number, total: number) => void,
    ): Promise<SendCounts> {
      const declared = Object.hasOwn(deps.charter.touchpoints, touchpoint)
        ? deps.charter.touchpoints[touchpoint]
        : undefined
      if (declared === undefined) throw invalidTouchpoint('the charter declares no such touchpoint')
      if (declared.channel !== 'email')
        throw invalidTouchpoint(`channel ${declared.channel}: only an e-mail touchpoint sends`)
      let candidates: string[] | undefined
      for (const purpose of declared.purposes) {
        const granted = new Set(await deps.consent.subjectsWithGrant(purpose))
        candidates = (candidates ?? [...granted]).filter((s) => granted.has(s))
      }
      const all = candidates ?? []
      const counts: SendCounts = {
        touchpoint,
        candidates: all.length,
        prepared: 0,
        capped: 0,
        noOffer: 0,
        noAddress: 0,
        byOffer: {},
      }
      onProgress?.(0, all.length)
      for (const [i, subjectId] of all.entries()) {
        await prepareOne(subjectId, touchpoint, counts)
        onProgress?.(i + 1, all.length)
      }
      await deps.audit.record(deps.db, {
        actor,
        action: 'offers.sent',
        subjectId: null,
        details: { ...counts },
      })
      return counts
    },

    /** Opens a link's token (a 400 naming it when altered or expired) without changing anything. */
    check(token: string): { purpose: string; title: string } {
      const { purpose } = tokens.open(token, deps.clock.now())
      return { purpose, title: deps.charter.purposes[purpose]?.title ?? purpose }
    },

    /**
     * The one-click unsubscribe: withdraws the purpose the link names (a denial in the ledger, method
     * `email_unsubscribe`, audited like any withdrawal) and drops the subject's offer e-mails still
     * waiting. Idempotent: a second click finds the denial and writes nothing; a subject with nothing
     * on record (erased since) gets nothing written either. The link proves its holder is the
     * subject's mailbox, so the ledger and the audit name the shopper as the actor.
     */
    async unsubscribe(token: string): Promise<UnsubscribeOutcome> {
      const { subjectId, purpose } = tokens.open(token, deps.clock.now())
      const { history } = await deps.consent.state(subjectId, {})
      if (history.length === 0) return 'nothing_held'
      await deps.outbox.discard(messageKeys(subjectId))
      const latest = history.filter((r) => r.purpose === purpose).at(-1)
      if (latest?.decision === 'denied') return 'already_unsubscribed'
      await deps.consent.recordChange(
        subjectId,
        purpose,
        {
          decision: 'denied',
          method: 'email_unsubscribe',
          noticeVersion: deps.consent.noticeVersion,
        },
        {},
        { kind: 'shopper', subjectId },
      )
      return 'unsubscribed'
    },

    /** Offer e-mails waiting in the outbox, for access requests (no address, no content). */
    pendingFor: (subjectId: string) => deps.outbox.pending(messageKeys(subjectId)),
    /** Drops a subject's offer e-mails still waiting (erasure). */
    discardFor: (subjectId: string) => deps.outbox.discard(messageKeys(subjectId)),
  }

  async function prepareOne(subjectId: string, touchpoint: string, counts: SendCounts) {
    // The address first: the cap is only spent on a message that can go.
    const email = (await deps.identity.readVault(subjectId))?.email
    if (email === undefined || email === '') {
      counts.noAddress += 1
      return
    }
    const { verdict, granted, cap } = await deps.offers.pickForSubject(subjectId, touchpoint)
    if (cap !== undefined) {
      counts.capped += 1
      return
    }
    if (verdict === undefined || !granted) {
      counts.noOffer += 1
      return
    }
    const now = deps.clock.now()
    const token = tokens.issue(
      subjectId,
      verdict.offer.purpose,
      new Date(now.getTime() + UNSUBSCRIBE_TTL_DAYS * DAY_MS),
    )
    const { jurisdiction } = await deps.consent.state(subjectId, {})
    await deps.outbox.sendMessage({
      key: messageKeys(subjectId)[0]!,
      kind: 'offer_email',
      sentAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + MESSAGE_TTL_DAYS * DAY_MS).toISOString(),
      ...compose(verdict, email, token, jurisdiction),
    })
    counts.prepared += 1
    counts.byOffer[verdict.offer.id] = (counts.byOffer[verdict.offer.id] ?? 0) + 1
  }
}
