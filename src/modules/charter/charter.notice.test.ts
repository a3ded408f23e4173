import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import {
  canonicalJson,
  eventFieldsFor,
  parseCharter,
  plainRetention,
  purposesForEvent,
  renderNotice,
  renderNoticeHtml,
  saleOrSharingPurposes,
} from './index.js'

const EXAMPLE = readFileSync(
  fileURLToPath(new URL('../../../candor.charter.yaml', import.meta.url)),
  'utf8',
)
const charter = parseCharter(EXAMPLE)

describe('notice version', () => {
  it('is a sha256 content hash', () => {
    expect(renderNotice(charter).version).toMatch(/^[0-9a-f]{64}$/)
  })

  it('ignores comments, layout, quoting and key order', () => {
    const noComments = EXAMPLE.split('\n')
      .filter((l) => !l.trimStart().startsWith('#'))
      .join('\n')
    // Re-serialise the parsed YAML with keys reversed: same meaning, different text.
    const reversed = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reversed)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reversed(v)]),
            )
          : value
    const reflowed = stringify(reversed(parseCharter(EXAMPLE)), {
      indent: 4,
      defaultStringType: 'QUOTE_DOUBLE',
    })
    const v = renderNotice(charter).version
    expect(renderNotice(parseCharter(noComments)).version).toBe(v)
    expect(renderNotice(parseCharter(reflowed)).version).toBe(v)
  })

  it('changes whenever the meaning changes', () => {
    const v = renderNotice(charter).version
    const changes = [
      EXAMPLE.replace('retentionDays: 90', 'retentionDays: 60'),
      EXAMPLE.replace('title: Our own offers', 'title: Our offers'),
      EXAMPLE.replace('country: IE', 'country: NL'),
      EXAMPLE.replace('repeatAfterDays: 30', 'repeatAfterDays: 14'),
    ]
    const versions = changes.map((t) => renderNotice(parseCharter(t)).version)
    expect(new Set([v, ...versions]).size).toBe(changes.length + 1)
  })

  it('canonical JSON does not depend on key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const shuffled = Object.fromEntries(Object.entries(obj).reverse())
        expect(canonicalJson(shuffled)).toBe(canonicalJson(obj))
      }),
    )
  })
})

describe('notice content', () => {
  const notice = renderNotice(charter)

  it('groups purposes by how the choice works', () => {
    const groups = Object.fromEntries(
      notice.groups.map((g) => [g.id, g.purposes.map((p) => p.key)]),
    )
    expect(groups['needed']).toEqual(['essential.service'])
    expect(groups['ask_first']).toEqual([
      'personalize.recommendations',
      'analytics.clean_room',
      'marketing.advertising.third_party',
      'train_ai_system.federated',
      'personalize.assistant',
    ])
    expect(groups['depends_on_where_you_live']).toEqual([
      'personalize.session',
      'analytics.reporting',
      'marketing.advertising.first_party',
    ])
    // A special category: only on the shopper's own, separate yes, and the notice says which.
    expect(groups['only_if_you_turn_it_on']).toEqual(['personalize.special.health'])
    const health = notice.groups.at(-1)!.purposes[0]!
    expect(health.specialCategory).toBe('your health')
    expect(health.yourChoice).toMatch(/turn it on yourself, on its own/)
    expect(notice.neverInferred.intro).toMatch(/unless you turn that on yourself/)
  })

  it('says what each purpose gives and what it costs', () => {
    const ads = notice.groups
      .flatMap((g) => g.purposes)
      .find((p) => p.key === 'marketing.advertising.third_party')
    expect(ads).toMatchObject({
      title: 'Our adverts on other websites',
      saleOrSharing: true,
      itCosts: {
        data: ['the products and pages you look at', 'a cookie code stored in your browser'],
        keptFor: 'Kept for 90 days, then deleted.',
        sharedWith: ['Example Ad Network Inc. (US)'],
      },
    })
    expect(ads?.youGet).toContain('adverts')
  })

  it('uses short sentences', () => {
    const texts: string[] = []
    const walk = (v: unknown): void => {
      if (typeof v === 'string') texts.push(v)
      else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk)
    }
    walk(notice)
    const lengths = texts.flatMap((t) =>
      t.split(/[.!?](\s|$)/).map((s) => s.split(/\s+/).filter(Boolean).length),
    )
    expect(Math.max(...lengths)).toBeLessThanOrEqual(25)
  })

  it('says plainly how long data is kept', () => {
    expect(plainRetention(0)).toBe('Deleted when your visit ends.')
    expect(plainRetention(1)).toBe('Kept for 1 day, then deleted.')
    expect(plainRetention(730)).toBe('Kept for 2 years, then deleted.')
  })

  it('lists the special categories never inferred', () => {
    expect(notice.neverInferred.items).toContain('whether you are pregnant')
  })
})

describe('notice HTML', () => {
  it('is a complete, accessible page', () => {
    const html = renderNoticeHtml(renderNotice(charter))
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).toContain('<html lang="en-GB">')
    expect(html).toContain('<meta name="viewport"')
    expect(html.match(/<h1>/g)).toHaveLength(1)
    expect(html).toContain('<main>')
    expect(html).not.toContain('<script')
    expect(html).toContain('What it costs you')
  })

  it('says which purposes feed statistics, that differential privacy protects them, and what a clean-room partner gets', () => {
    const notice = renderNotice(charter)
    expect(notice.statistics.purposes).toEqual([
      { key: 'analytics.reporting', title: 'Counting what sells' },
    ])
    expect(notice.statistics.text).toContain('"Counting what sells"')
    expect(notice.statistics.text).toMatch(/differential privacy/)
    expect(notice.statistics.text).toMatch(/no answer shows whether you are in it/)
    expect(notice.statistics.cleanRoom).toEqual([
      expect.objectContaining({
        key: 'analytics.clean_room',
        partners: ['Example Retail Media Ltd (GB)'],
      }),
    ])
    expect(notice.statistics.cleanRoom[0]!.text).toMatch(/^Only if you say yes\./)
    expect(notice.statistics.cleanRoom[0]!.text).toMatch(/never your name/)
    const html = renderNoticeHtml(notice)
    expect(html).toContain('<h2 id="statistics">Statistics</h2>')
    expect(html).toContain('protected by differential privacy')

    const none = renderNotice(
      parseCharter(
        EXAMPLE.replace('    aggregateAnalytics: true\n', '')
          .replace('    cleanRoom: true\n', '')
          .replace(/\n {2}retail-media:[\s\S]*?purposes: \[analytics\.clean_room\]\n/, '\n'),
      ),
    )
    expect(none.statistics).toEqual({
      purposes: [],
      text: 'We do not use your data for statistics.',
      cleanRoom: [],
    })
  })

  it('escapes every value', () => {
    const hostile = parseCharter(
      EXAMPLE.replace(
        'name: Demo Giftware Ltd',
        'name: "Demo <script>alert(1)</script> & \\"Co\\""',
      ),
    )
    const html = renderNoticeHtml(renderNotice(hostile))
    expect(html).not.toContain('<script>')
    expect(html).toContain('Demo &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;')
  })
})

describe('charter queries', () => {
  it('finds the fields an event may keep for the allowed purposes', () => {
    expect(eventFieldsFor(charter, 'purchase', ['analytics.reporting'])).toEqual([
      'currency',
      'item',
      'price',
      'quantity',
      'timestamp',
    ])
    expect(eventFieldsFor(charter, 'purchase', ['personalize.session'])).toEqual([])
    expect(
      eventFieldsFor(charter, 'view', ['analytics.reporting', 'marketing.advertising.third_party']),
    ).toEqual(['item', 'timestamp'])
  })

  it('knows which purposes cover an event and which GPC opts out of', () => {
    expect(purposesForEvent(charter, 'search')).toEqual([
      'personalize.session',
      'personalize.recommendations',
    ])
    expect(saleOrSharingPurposes(charter)).toEqual(['marketing.advertising.third_party'])
  })
})

describe('the model card link (issue 20)', () => {
  it('is in the notice as JSON and as HTML, pointing at the same page', () => {
    const notice = renderNotice(charter)
    expect(notice.modelCard).toMatchObject({ page: '/privacy/suggestions', api: '/v1/model-card' })
    expect(renderNoticeHtml(notice)).toContain(`href="${notice.modelCard.page}"`)
  })
})
