import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkCharterText, formatCharterCheck } from './index.js'
import { ADEQUACY_DECISIONS, ADEQUACY_SOURCE, EEA_COUNTRIES } from './charter.vendors.js'

const EXAMPLE = readFileSync(
  fileURLToPath(new URL('../../../candor.charter.yaml', import.meta.url)),
  'utf8',
)
const AD_NETWORK = `    country: US
    purposes: [marketing.advertising.third_party]
    # Outside the EEA without a full adequacy decision: the transfer needs a safeguard (see docs/charter.md).
    transferSafeguard: sccs
`

function rulesOf(text: string): { rule: string; line: number; reason: string }[] {
  const check = checkCharterText(text, 'test.yaml')
  return check.ok ? [] : check.issues
}

describe('vendor entries in the charter (issue 23)', () => {
  it('the example passes and says what makes each transfer lawful', () => {
    const check = checkCharterText(EXAMPLE)
    expect(check.ok).toBe(true)
    const text = formatCharterCheck(check)
    expect(text).toContain('vendor ad-network (US): standard contractual clauses; fields item')
    expect(text).toContain('vendor mail-sender (IE): inside the EEA')
    expect(text).toContain('vendor cloud-host (GB): adequacy decision (United Kingdom)')
  })

  it('a US vendor without a safeguard fails (the DPF decision covers certified organisations only)', () => {
    expect(EXAMPLE).toContain(AD_NETWORK)
    const text = EXAMPLE.replace(
      AD_NETWORK,
      AD_NETWORK.replace('    transferSafeguard: sccs\n', ''),
    )
    const issues = rulesOf(text)
    const issue = issues.find((i) => i.rule === 'vendor_transfer_unsafeguarded')
    expect(issue?.reason).toContain('ad-network')
    expect(issue?.reason).toContain(ADEQUACY_SOURCE.url)
    expect(text.split('\n')[issue!.line - 1]).toContain('country: US')
  })

  it('a vendor in a country without any adequacy decision needs SCCs or BCRs; with one it passes', () => {
    const inIndia = EXAMPLE.replace(AD_NETWORK, AD_NETWORK.replace('country: US', 'country: IN'))
    expect(rulesOf(inIndia)).toEqual([])
    const bare = inIndia.replace('    transferSafeguard: sccs\n', '')
    expect(rulesOf(bare).map((i) => i.rule)).toContain('vendor_transfer_unsafeguarded')
    const bcrs = inIndia.replace('transferSafeguard: sccs', 'transferSafeguard: bcrs')
    expect(rulesOf(bcrs)).toEqual([])
    const dpf = inIndia.replace('transferSafeguard: sccs', 'transferSafeguard: dpf')
    expect(rulesOf(dpf).map((i) => i.rule)).toContain('vendor_transfer_safeguard_invalid')
  })

  it('EEA and adequate countries need nothing; the lists do not overlap', () => {
    for (const country of ['DE', 'NO', 'JP', 'CH']) {
      const text = EXAMPLE.replace(
        AD_NETWORK,
        AD_NETWORK.replace('country: US', `country: ${country}`),
      )
      expect(rulesOf(text.replace('    transferSafeguard: sccs\n', ''))).toEqual([])
    }
    for (const country of EEA_COUNTRIES) expect(ADEQUACY_DECISIONS[country]).toBeUndefined()
  })

  it('a field none of the vendor purposes keeps is refused', () => {
    const text = EXAMPLE.replace('    fields: [item]\n', '    fields: [item, price]\n')
    const issue = rulesOf(text).find((i) => i.rule === 'vendor_field_outside_purposes')
    expect(issue?.reason).toContain('price')
  })
})
