import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const PERSONAL = 'personalize.recommendations'
const CATALOG = [
  { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen', 'Tea'], price: 6 },
  { id: 'CADDY', title: 'Tea caddy', category: ['Kitchen', 'Tea'], price: 5 },
  { id: 'COSY', title: 'Knitted tea cosy', category: ['Kitchen', 'Tea'], price: 12 },
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen', 'Mugs'], price: 8 },
  { id: 'TOWEL', title: 'Tea towel retrospot', category: ['Kitchen'], price: 3 },
  { id: 'CANDLE', title: 'Candle', category: ['Home', 'Candles'], price: 4 },
]
const BASKETS = [
  ...Array.from({ length: 6 }, () => ['TEA', 'CADDY', 'COSY']),
  ...Array.from({ length: 6 }, () => ['MUG', 'TOWEL', 'CANDLE']),
]
const QUESTION = 'a gift under 20 pounds for a tea lover'
const PHRASED = 'The Knitted tea cosy would make a lovely present.'

/** The demo charter with the language-model provider declared as a vendor for suggestions. */
function charterWithProvider(dir: string): string {
  const text = fs
    .readFileSync('candor.charter.yaml', 'utf8')
    .replace(
      /^vendors:\n/m,
      'vendors:\n  llm-provider:\n    name: Example Language Models Ltd\n    role: processor\n    country: GB\n    purposes: [personalize.recommendations]\n',
    )
  const file = path.join(dir, 'charter-with-llm.yaml')
  fs.writeFileSync(file, text)
  return file
}

/** A stand-in for an OpenAI-compatible chat completions endpoint: records each request body. */
async function startModel() {
  const bodies: string[] = []
  let mode: 'ok' | 'fail' | 'slow' = 'ok'
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'))
      if (mode === 'fail') return res.writeHead(500).end('{"error":"down"}')
      const answer = () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: PHRASED } }] }))
      if (mode === 'slow') setTimeout(answer, 1500)
      else answer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    bodies,
    setMode: (m: typeof mode) => (mode = m),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

for (const dialect of DIALECTS) {
  describe(`shopping assistant language model on ${dialect}`, () => {
    let ctx: TestContext
    let model: Awaited<ReturnType<typeof startModel>>
    let dir: string
    const ask = (payload: object) =>
      ctx.request({ method: 'POST', url: '/v1/assistant/messages', as: 'storefront', payload })
    async function grant(ref: string, version: string) {
      const r = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
        as: 'storefront',
        payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
      })
      expect(r.statusCode, r.body).toBe(200)
    }
    async function buy(ref: string, items: string[]) {
      const at = ctx.clock.now().toISOString()
      const events = items.map((item, i) => ({
        id: `${ref}-${i}`,
        type: 'purchase',
        subject: ref,
        item,
        timestamp: at,
      }))
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: { events },
      })
      expect(r.statusCode, r.body).toBe(200)
    }

    beforeAll(async () => {
      model = await startModel()
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-llm-'))
      ctx = await createTestContext(dialect, {
        env: {
          CANDOR_CHARTER_FILE: charterWithProvider(dir),
          CANDOR_ASSISTANT_LLM_URL: model.url,
          CANDOR_ASSISTANT_LLM_KEY: 'sk-test-key',
          CANDOR_ASSISTANT_LLM_VENDOR: 'llm-provider',
          CANDOR_ASSISTANT_LLM_TIMEOUT_MS: '500',
        },
      })
      await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: CATALOG },
      })
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      for (const [b, basket] of BASKETS.entries()) {
        await grant(`crowd-${b}`, version)
        await buy(`crowd-${b}`, basket)
      }
      await grant('granted-fan', version)
      await buy('granted-fan', ['CADDY'])
      await ctx.services.recommend.train()
    })
    afterAll(async () => {
      await ctx?.close()
      await model?.close()
      fs.rmSync(dir, { recursive: true, force: true })
    })

    it('sends nothing about a shopper who did not grant the vendor’s purpose, and uses its words', async () => {
      model.bodies.length = 0
      // A shopper who never said yes to suggestions from their history: nothing about them may go.
      const r = await ask({ text: QUESTION, subject: 'no-grant-fan' })
      expect(r.statusCode, r.body).toBe(200)
      const answer = r.json()
      expect(answer.phrasedBy).toBe('language_model')
      expect(answer.reply).toBe(`${PHRASED} ${answer.used}`)
      expect(model.bodies).toHaveLength(1)
      const sent = model.bodies[0]!
      const request = JSON.parse(sent)
      expect(request.model).toBe('gpt-4o-mini')
      const content = JSON.parse(request.messages[1].content)
      expect(content.message).toBe(QUESTION)
      expect(content.candidates.length).toBeGreaterThan(0)
      expect(content.shopper).toBeUndefined()
      expect(sent).not.toMatch(/no-grant-fan|sub_|reason|you bought|looked at/i)
    })

    it('sends the reasons from the shopper’s history only with the grant, never their reference', async () => {
      model.bodies.length = 0
      const r = await ask({ text: QUESTION, subject: 'granted-fan' })
      expect(r.statusCode, r.body).toBe(200)
      expect(r.json().level).toBe('personal')
      const sent = model.bodies[0]!
      const content = JSON.parse(JSON.parse(sent).messages[1].content)
      expect(content.shopper).toEqual({ level: 'personal' })
      expect(sent).toMatch(/you bought/i)
      expect(sent).not.toContain('granted-fan')
      const subjectId = (await ctx.services.identity.findSubjectId('granted-fan'))!
      expect(sent).not.toContain(subjectId)
    })

    it('sends nothing about the shopper when the provider is not a charter vendor for the purpose', async () => {
      const { createPhraser } = await import('../src/modules/assistant/assistant.llm.js')
      const undeclared = createPhraser({
        ...ctx.services,
        settings: { ...ctx.config.assistantLlm!, vendor: 'not-in-charter' },
      })
      const message = { text: QUESTION, subject: 'granted-fan' }
      expect(await undeclared.sharesShopper(message, 'personal', {})).toBe(false)
      const declared = createPhraser({ ...ctx.services, settings: ctx.config.assistantLlm! })
      expect(await declared.sharesShopper(message, 'personal', {})).toBe(true)
      // The vendor is declared for history-based suggestions only, not for this visit's.
      expect(await declared.sharesShopper(message, 'session', {})).toBe(false)
    })

    it('answers in its own words when the model fails or is too slow', async () => {
      for (const mode of ['fail', 'slow'] as const) {
        model.setMode(mode)
        const r = await ask({ text: QUESTION, subject: 'granted-fan' })
        expect(r.statusCode, r.body).toBe(200)
        expect(r.json().phrasedBy).toBe('candor')
        expect(r.json().reply).toContain('Here are')
        expect(r.json().items.length).toBeGreaterThan(0)
      }
      model.setMode('ok')
    })
  })
}
