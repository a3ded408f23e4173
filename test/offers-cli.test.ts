import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRuntime } from '../src/main/runtime.js'
import { runCandor } from './helpers/cli.js'
import { DIALECTS, type TestDatabase, createTestDatabase } from './helpers/test-context.js'

/**
 * `candor offers send --touchpoint offers_email` (issue 21): the same send as the API, with progress on
 * stderr and counts on stdout, and no address on either.
 */
const MARKETING = 'marketing.advertising.first_party'

for (const dialect of DIALECTS) {
  describe(`candor offers send on ${dialect}`, { timeout: 120_000 }, () => {
    let database: TestDatabase
    let env: Record<string, string>
    beforeAll(async () => {
      database = await createTestDatabase(dialect)
      env = {
        CANDOR_DATA_DIR: database.dir,
        CANDOR_DATABASE_URL: database.url,
        CANDOR_DEMO: 'off',
        CANDOR_CHARTER_FILE: path.resolve('candor.charter.yaml'),
        CANDOR_PUBLIC_URL: 'https://shop.example/candor',
      }
      // Shoppers and an offer written through the services, with the key file the CLI then reads.
      const runtime = await openRuntime(env, { logLevel: 'silent' })
      try {
        const { services } = runtime
        const actor = { kind: 'cli', command: 'test' } as const
        await services.offers.define(
          {
            id: 'cli-mail',
            content: { title: 'Offers for you' },
            eligibility: {},
            schedule: {},
            touchpoints: ['offers_email'],
            purpose: MARKETING,
            priority: 0,
            active: true,
          },
          actor,
        )
        for (const [ref, grant] of [
          ['cli-yes', true],
          ['cli-no', false],
        ] as const) {
          const subjectId = await services.identity.ensureSubjectId(ref)
          await services.consent.recordChange(
            subjectId,
            grant ? MARKETING : 'personalize.recommendations',
            {
              decision: 'granted',
              method: 'banner',
              noticeVersion: services.consent.noticeVersion,
            },
            { jurisdiction: 'UK' },
            actor,
          )
          await services.identity.writeVault(services.storage.db, subjectId, {
            email: `${ref}@cli.example`,
          })
        }
      } finally {
        await runtime.close()
      }
    })
    afterAll(async () => {
      await database?.drop()
    })

    it('prepares the messages, shows progress, and names nobody', () => {
      const first = runCandor(['offers', 'send', '--touchpoint', 'offers_email'], env)
      expect(first.code, first.stderr).toBe(0)
      expect(first.stdout).toBe(
        '1 messages prepared at offers_email for 1 subjects with a grant on record (0 over the frequency cap, 0 with no eligible offer, 0 without an address)\n',
      )
      expect(first.stderr).toContain('offers send: 1/1')
      const outbox = path.join(database.dir, 'outbox')
      const mails = fs.readdirSync(outbox).map(
        (n) =>
          JSON.parse(fs.readFileSync(path.join(outbox, n), 'utf8')) as {
            to: string
            text: string
          },
      )
      expect(mails.map((m) => m.to)).toEqual(['cli-yes@cli.example'])
      expect(mails[0]!.text).toContain('https://shop.example/candor/v1/unsubscribe/')

      // Within the cap (one in 7 days) a second run prepares nothing.
      const second = runCandor(['offers', 'send', '--touchpoint', 'offers_email', '--json'], env)
      expect(second.code, second.stderr).toBe(0)
      expect(JSON.parse(second.stdout)).toMatchObject({ candidates: 1, prepared: 0, capped: 1 })
      for (const out of [first.stdout, first.stderr, second.stdout, second.stderr])
        expect(out).not.toContain('cli.example')

      const wrong = runCandor(['offers', 'send', '--touchpoint', 'consent_prompt'], env)
      expect(wrong.code).not.toBe(0)
      expect(wrong.stderr).toContain('validation_failed: touchpoint: channel onsite')
    })
  })
}
