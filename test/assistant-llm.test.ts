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
/** A question the parser reads little of: no amount it knows, no category word. */
const TENNER = 'something for my mum, about a tenner, she drinks loose leaf'

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

/** The model's reading of a message when it says nothing: every part null. */
const NOTHING_READ = { budget: null, category: null, occasion: null, recipient: null, terms: [] }

/**
 * A stand-in for an OpenAI-compatible chat completions endpoint: records each request body; a request
 * asking for JSON (`response_format`) is a message to read and gets `intent` (text, as a model would
 * write it), any other gets the phrased reply.
 */
async function startModel() {
  const bodies: string[] = []
  let mode: 'ok' | 'fail' | 'slow' = 'ok'
  let intent = JSON.stringify(NOTHING_READ)
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      bodies.push(body)
      if (mode === 'fail') return res.writeHead(500).end('{"error":"down"}')
      const content = 'response_format' in JSON.parse(body) ? intent : PHRASED
      const answer = () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }))
      if (mode === 'slow') setTimeout(answer, 1500)
      else answer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const ofKind = (reading: boolean) =>
    bodies.filter((b) => 'response_format' in JSON.parse(b) === reading)
  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    bodies,
    /** The requests to read a message's intent, and the ones to phrase a reply. */
    readings: () => ofKind(true),
    phrasings: () => ofKind(false),
    setMode: (m: typeof mode) => (mode = m),
    setIntent: (text: string) => (intent = text),
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
      expect(model.phrasings()).toHaveLength(1)
      const sent = model.phrasings()[0]!
      const request = JSON.parse(sent)
      expect(request.model).toBe('gpt-4o-mini')
      const content = JSON.parse(request.messages[1].content)
      expect(content.message).toBe(QUESTION)
      expect(content.candidates.length).toBeGreaterThan(0)
      expect(content.shopper).toBeUndefined()
      expect(sent).not.toMatch(/no-grant-fan|sub_|reason|you bought|looked at/i)
      // The message was read by the model too: sent the message and the category names, nothing else.
      expect(model.readings()).toHaveLength(1)
      const reading = JSON.parse(model.readings()[0]!)
      expect(reading.response_format).toEqual({ type: 'json_object' })
      const asked = JSON.parse(reading.messages[1].content)
      expect(Object.keys(asked).sort()).toEqual(['categories', 'message'])
      expect(asked.message).toBe(QUESTION)
      expect(asked.categories).toEqual(expect.arrayContaining(['Kitchen', 'Tea', 'Candles']))
      expect(reading.messages[1].content).not.toMatch(/no-grant-fan|sub_|level|you bought/i)
    })

    it('sends the reasons from the shopper’s history only with the grant, never their reference', async () => {
      model.bodies.length = 0
      const r = await ask({ text: QUESTION, subject: 'granted-fan' })
      expect(r.statusCode, r.body).toBe(200)
      expect(r.json().level).toBe('personal')
      const sent = model.phrasings()[0]!
      const content = JSON.parse(JSON.parse(sent).messages[1].content)
      expect(content.shopper).toEqual({ level: 'personal' })
      // Reading the message never needs the shopper, even with the grant.
      const subjectId = (await ctx.services.identity.findSubjectId('granted-fan'))!
      expect(model.readings()).toHaveLength(1)
      for (const reading of model.readings()) {
        expect(reading).not.toContain('granted-fan')
        expect(reading).not.toContain(subjectId)
        const asked = JSON.parse(JSON.parse(reading).messages[1].content)
        expect(Object.keys(asked).sort()).toEqual(['categories', 'message'])
      }
      expect(sent).toMatch(/you bought/i)
      expect(sent).not.toContain('granted-fan')
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
        // Nor was the message read by it: the parser's reading alone.
        expect(r.json().understood.from).toBeUndefined()
        expect(r.json().understood.budget).toEqual({ max: 20 })
      }
      model.setMode('ok')
    })

    it("uses the model's reading where the parser read nothing, the parser's numbers first", async () => {
      // No amount the parser knows ("a tenner"), no category word: the model reads both.
      model.setIntent(
        JSON.stringify({
          budget: { min: null, max: 10 },
          category: 'tea',
          occasion: 'Birthday',
          recipient: null,
          terms: ['caddy', 'tea'],
        }),
      )
      try {
        const r = await ask({ text: TENNER, subject: 'no-grant-fan' })
        expect(r.statusCode, r.body).toBe(200)
        const { understood, items } = r.json()
        expect(understood).toMatchObject({
          budget: { max: 10 },
          category: 'Tea',
          occasion: 'birthday',
          recipient: 'mum',
          from: {
            budget: 'language_model',
            category: 'language_model',
            occasion: 'language_model',
            recipient: 'candor',
            terms: 'both',
          },
        })
        expect(understood.terms).toContain('caddy')
        const ids = items.map((i: { id: string }) => i.id)
        expect(ids).toContain('CADDY')
        // Within the model's budget and category (Tea, or "tea" in the title): no 12-pound cosy, no candle.
        for (const item of items) expect(item.price).toBeLessThanOrEqual(10)
        expect(ids).not.toContain('COSY')
        expect(ids).not.toContain('CANDLE')
        // A budget the parser read is never replaced: "under 20 pounds" stays 20, not the model's 10.
        const stated = (await ask({ text: QUESTION, subject: 'no-grant-fan' })).json().understood
        expect(stated.budget).toEqual({ max: 20 })
        expect(stated.from.budget).toBe('candor')
      } finally {
        model.setIntent(JSON.stringify(NOTHING_READ))
      }
    })

    it("ignores a reading that is not exactly the schema, and answers from the parser's", async () => {
      const invalid = [
        'You could try a tea caddy!',
        JSON.stringify({ ...NOTHING_READ, budget: { min: null, max: '10' } }),
        JSON.stringify({ ...NOTHING_READ, budget: { min: null, max: 10 }, mood: 'kind' }),
        JSON.stringify({ ...NOTHING_READ, category: 'Garden tools' }),
        JSON.stringify({ budget: { min: null, max: 10 } }),
      ]
      try {
        for (const text of invalid) {
          model.setIntent(text)
          const r = await ask({ text: TENNER, subject: 'no-grant-fan' })
          expect(r.statusCode, r.body).toBe(200)
          const { understood, items } = r.json()
          expect(understood.from, text).toBeUndefined()
          expect(understood.budget, text).toBeUndefined()
          expect(understood.category, text).toBeUndefined()
          expect(understood.recipient).toBe('mum')
          expect(items.length).toBeGreaterThan(0)
        }
      } finally {
        model.setIntent(JSON.stringify(NOTHING_READ))
      }
    })
  })
}
