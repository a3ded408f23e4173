import fs from 'node:fs'
import fastifySwagger from '@fastify/swagger'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import Fastify from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import createClient from 'openapi-fetch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { API_TYPES, OPENAPI_JSON, apiTypesSource, openApiJson } from '../scripts/api-types.js'
import type { paths } from '../sdk/src/api-types.js'
import { swaggerOptions } from '../src/http/openapi.js'
import { renderNotice } from '../src/modules/charter/index.js'
import { DEMO_CATEGORIES, DEMO_SHOPPERS, loadDemoData } from '../src/modules/demo/demo.data.js'
import { ROLES } from '../src/modules/auth/index.js'
import { ProblemSchema } from '../src/http/problem.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

type Json = Record<string, unknown>
interface Operation {
  method: string
  path: string
  op: Json
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch']

function operationsOf(doc: Json): Operation[] {
  const list: Operation[] = []
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined
      if (op !== undefined) list.push({ method, path, op })
    }
  }
  return list
}

/** The first line where a committed file and what it should be differ (undefined: none). */
function firstDifference(committed: string, expected: string): string | undefined {
  const a = committed.split('\n')
  const b = expected.split('\n')
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      return `line ${i + 1}: committed ${JSON.stringify(a[i])}, expected ${JSON.stringify(b[i])}`
  }
  return undefined
}

/** A media type whose body is text (JSON included): its example can be shown and checked. */
const isText = (media: string) =>
  media.startsWith('text/') || media.includes('json') || media === 'image/svg+xml'

/**
 * Checks values against the document's schemas (JSON Schema 2020-12, as OpenAPI 3.1 writes them), `$ref`s
 * to its components included.
 */
function schemaChecker(doc: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats.default(ajv)
  ajv.addSchema({ $id: 'doc', components: doc.components }, 'doc')
  const local = (schema: unknown): unknown =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'))
  return (schema: unknown, value: unknown): string[] => {
    const validate = ajv.compile(local(schema) as object)
    return validate(value)
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
  }
}

/** Fastify's `/v1/items/:id` as the document writes it. */
const docPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')

describe('the OpenAPI document', () => {
  let ctx: TestContext
  let doc: Json
  let ops: Operation[]
  beforeAll(async () => {
    // One unauthenticated call per protected route below: more than the default 60 a minute allows.
    ctx = await createTestContext('sqlite', { env: { CANDOR_AUTH_FAILURES_PER_MINUTE: '1000' } })
    const response = await ctx.request({ method: 'GET', url: '/openapi.json' })
    expect(response.statusCode).toBe(200)
    doc = response.json()
    ops = operationsOf(doc)
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('validates against the OpenAPI 3.1 schema', async () => {
    const validator = new Validator()
    const result = await validator.validate(structuredClone(doc))
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('lists every route the app serves, each with the security its access declares', () => {
    const documented = ctx.routes.filter(
      (r) => !r.url.startsWith('/docs') && r.url !== '/openapi.json',
    )
    expect(ops.length).toBe(documented.length)
    for (const route of documented) {
      const found = ops.find(
        (o) => o.method === route.method.toLowerCase() && o.path === docPath(route.url),
      )
      expect(found, `${route.method} ${route.url}`).toBeDefined()
      const security = found!.op.security as Json[] | undefined
      if ('public' in route.access) {
        expect(security, `${route.method} ${route.url}`).toBeUndefined()
        continue
      }
      const expected: Json[] = []
      if (route.access.roles.length > 0) expected.push({ apiKey: [...route.access.roles] })
      if (route.access.shopper === true) expected.push({ shopperToken: [] })
      expect(security, `${route.method} ${route.url}`).toEqual(expected)
      expect(found!.op.description).toContain('Who may call')
    }
    const schemes = (doc.components as Json).securitySchemes as Json
    expect(Object.keys(schemes).sort()).toEqual(['apiKey', 'shopperToken'])
  })

  it('documents problem+json error responses on every operation, by what it takes and who may call it', () => {
    for (const { method, path, op } of ops) {
      const name = `${method.toUpperCase()} ${path}`
      const responses = op.responses as Record<string, Json>
      const errors = Object.keys(responses).filter((status) => Number(status) >= 400)
      expect(errors, name).toContain('429')
      expect(errors, name).toContain('500')
      if (op.security !== undefined)
        expect(errors, name).toEqual(expect.arrayContaining(['401', '403']))
      if (op.requestBody !== undefined || (op.parameters as unknown[] | undefined)?.length)
        expect(errors, name).toContain('400')
      for (const status of errors) {
        const content = responses[status]!.content as Record<string, Json>
        const media = content['application/problem+json']
        expect(media?.schema, `${name} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' })
        for (const example of Object.values(media!.examples as Record<string, Json>)) {
          const value = example.value as Json
          expect(value.status, `${name} ${status}`).toBe(Number(status))
          expect(value.type).toBe(`urn:candor:problem:${String(value.code)}`)
        }
      }
    }
    // A route's own errors (config.problems) join the generic ones.
    const grant = ops.find(
      (o) => o.method === 'put' && o.path === '/v1/subjects/{ref}/consents/{purpose}',
    )!
    const responses = grant.op.responses as Record<string, Json>
    expect(Object.keys(responses)).toEqual(
      expect.arrayContaining(['400', '401', '403', '404', '409', '413', '415', '429']),
    )
    const conflict = responses['409']!.content as Record<string, Json>
    expect(Object.keys(conflict['application/problem+json']!.examples as Json)).toEqual([
      'notice_outdated',
    ])
  })

  it('answers a protected route without a credential as its document says: 401 problem+json', async () => {
    for (const route of ctx.routes) {
      if ('public' in route.access) continue
      const url = route.url.replace(/:([A-Za-z0-9_]+)/g, 'x-12345678')
      const response = await ctx.request({ method: route.method as 'GET', url })
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(401)
      expect(response.headers['content-type']).toContain('application/problem+json')
      const problem = response.json()
      expect(Object.keys(problem).sort()).toEqual(
        ['code', 'detail', 'requestId', 'status', 'title', 'type'].sort(),
      )
    }
  })

  it('shows events with their fields and realistic examples (what /docs shows: see openapi.browser.test.ts)', () => {
    const ingest = ops.find((o) => o.method === 'post' && o.path === '/v1/events')!.op
    const media = ((ingest.requestBody as Json).content as Record<string, Json>)[
      'application/json'
    ]!
    const schema = media.schema as Json
    const item = ((schema.properties as Json).events as Json).items as Json
    expect(Object.keys(item.properties as Json)).toEqual(
      expect.arrayContaining(['id', 'type', 'subject', 'session', 'item', 'quantity', 'timestamp']),
    )
    const example = media.example as { events: Json[] }
    expect(example.events.length).toBeGreaterThanOrEqual(3)
    for (const event of example.events) {
      expect(event.id).toMatch(/^evt-/)
      expect(['view', 'add_to_cart', 'purchase', 'search']).toContain(event.type)
      expect(Date.parse(event.timestamp as string)).not.toBeNaN()
    }
    const answer = (ingest.responses as Record<string, Json>)['200']!.content as Record<
      string,
      Json
    >
    expect(JSON.stringify(answer['application/json']!.example)).toContain('"no_consent"')
  })

  it('gives every operation a success answer with its schema and an example, and every body an example', () => {
    const check = schemaChecker(doc)
    for (const { method, path, op } of ops) {
      const name = `${method.toUpperCase()} ${path}`
      const responses = op.responses as Record<string, Json>
      // A redirect (3xx) is the success answer of a link a browser follows.
      const success = Object.keys(responses).filter((s) => s.startsWith('2') || s.startsWith('3'))
      expect(success, `${name}: a documented success answer`).not.toEqual([])
      for (const status of success) {
        const content = responses[status]!.content as Record<string, Json> | undefined
        // 204 No Content and a redirect have no body to describe.
        if (status === '204' || status.startsWith('3')) {
          expect(content, `${name} 204`).toBeUndefined()
          continue
        }
        expect(Object.keys(content ?? {}), `${name} ${status}: its media types`).not.toEqual([])
        for (const [type, media] of Object.entries(content!)) {
          const where = `${name} ${status} ${type}`
          expect(media.schema, `${where}: schema`).toBeDefined()
          if (!isText(type)) {
            // A binary answer (the export's ZIP) says what it holds instead of an example.
            expect((media.schema as Json).contentMediaType, where).toBe(type)
            expect((media.schema as Json).description, where).toEqual(expect.any(String))
            continue
          }
          expect(media.example, `${where}: example`).toBeDefined()
          expect(
            check(media.schema, media.example),
            `${where}: the example fits the schema`,
          ).toEqual([])
        }
      }
      const body = op.requestBody as Json | undefined
      for (const [type, media] of Object.entries((body?.content ?? {}) as Record<string, Json>)) {
        const where = `${name} request ${type}`
        expect(media.example, `${where}: example`).toBeDefined()
        expect(check(media.schema, media.example), `${where}: the example fits the schema`).toEqual(
          [],
        )
      }
    }
  })

  it('sends the answers it newly documents whole: the notice and the demo catalog (a schema drops fields it does not name)', async () => {
    const notice = await ctx.request({ method: 'GET', url: '/v1/notice' })
    expect(notice.headers['content-type']).toContain('application/json')
    expect(notice.json()).toEqual(JSON.parse(JSON.stringify(renderNotice(ctx.services.charter))))
    const html = await ctx.request({
      method: 'GET',
      url: '/v1/notice',
      headers: { accept: 'text/html' },
    })
    expect(html.headers['content-type']).toContain('text/html')
    expect(html.body).toMatch(/^<!doctype html>/)
    const catalog = await ctx.request({ method: 'GET', url: '/demo/catalog' })
    expect(catalog.json()).toEqual({
      categories: DEMO_CATEGORIES,
      products: loadDemoData().products,
      shoppers: DEMO_SHOPPERS,
    })
    const note = await ctx.request({
      method: 'GET',
      url: '/v1/audit/checkpoint',
      headers: { accept: 'text/plain' },
    })
    expect(note.headers['content-type']).toContain('text/plain')
    const checkpoint = (await ctx.request({ method: 'GET', url: '/v1/audit/checkpoint' })).json()
    expect(note.body).toBe(checkpoint.note)
    expect(Object.keys(checkpoint).sort()).toEqual(
      ['note', 'origin', 'publicKey', 'publicKeys', 'rootHash', 'timestamp', 'treeSize'].sort(),
    )
  })

  it('is the document committed in sdk/openapi.json, and sdk/src/api-types.ts is its types (npm run api:types)', async () => {
    const stale = 'out of date with the routes: run `npm run api:types` and commit the result'
    expect(
      firstDifference(fs.readFileSync(OPENAPI_JSON, 'utf8'), await openApiJson(doc)),
      `sdk/openapi.json is ${stale}`,
    ).toBeUndefined()
    expect(
      firstDifference(fs.readFileSync(API_TYPES, 'utf8'), await apiTypesSource(doc)),
      `sdk/src/api-types.ts is ${stale}`,
    ).toBeUndefined()
  })
})

for (const dialect of DIALECTS)
  describe(`the typed client generated from the document, against a running server (${dialect})`, () => {
    let ctx: TestContext
    let api: ReturnType<typeof createClient<paths>>
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      await ctx.app.listen({ port: 0, host: '127.0.0.1' })
      const address = ctx.app.server.address() as { port: number }
      api = createClient<paths>({ baseUrl: `http://127.0.0.1:${address.port}` })
    })
    afterAll(async () => {
      await ctx?.close()
    })
    const as = (role: keyof TestContext['keys']) => ({ authorization: `Bearer ${ctx.keys[role]}` })

    it('sends the documented event example and reads one result per event', async () => {
      const doc = (await ctx.request({ method: 'GET', url: '/openapi.json' })).json()
      const example = doc.paths['/v1/events'].post.requestBody.content['application/json'].example
      const { data, error, response } = await api.POST('/v1/events', {
        headers: as('storefront'),
        body: example,
      })
      expect(error).toBeUndefined()
      expect(response.status).toBe(200)
      expect(data!.results.map((r) => r.id)).toEqual(
        example.events.map((e: { id: string }) => e.id),
      )
      const counts = data!.counts
      expect(counts.stored + counts.duplicate + counts.refused).toBe(example.events.length)
    })

    it('grants consent with a typed body, and an outdated notice is the documented 409 problem', async () => {
      const notice = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json()
      const path = { ref: 'cust-1042', purpose: 'personalize.recommendations' }
      const granted = await api.PUT('/v1/subjects/{ref}/consents/{purpose}', {
        headers: as('storefront'),
        params: { path },
        body: { decision: 'granted', method: 'banner', noticeVersion: notice.version },
      })
      expect(granted.response.status).toBe(200)
      expect(granted.data!.decision.allowed).toBe(true)
      const outdated = await api.PUT('/v1/subjects/{ref}/consents/{purpose}', {
        headers: as('storefront'),
        params: { path },
        body: { decision: 'granted', noticeVersion: '0'.repeat(64) },
      })
      expect(outdated.response.status).toBe(409)
      expect(outdated.response.headers.get('content-type')).toContain('application/problem+json')
      expect(outdated.error).toMatchObject({ code: 'notice_outdated', status: 409 })
    })

    it('reads the training quality as the console does, and a storefront key is the documented 403', async () => {
      const quality = await api.GET('/v1/recommendations/quality', {
        headers: as('analyst'),
        params: { query: { days: 7 } },
      })
      expect(quality.response.status).toBe(200)
      expect(Array.isArray(quality.data!.runs)).toBe(true)
      const refused = await api.GET('/v1/recommendations/quality', { headers: as('storefront') })
      expect(refused.response.status).toBe(403)
      expect(refused.error).toMatchObject({ code: 'forbidden' })
    })
  })

describe('a route added later', () => {
  it('gets its security and error responses from its access declaration alone', async () => {
    const app = Fastify({ logger: false })
    app.setValidatorCompiler(validatorCompiler)
    app.setSerializerCompiler(serializerCompiler)
    await app.register(
      fastifySwagger,
      swaggerOptions({ title: 't', version: '1', description: 'd' }, ROLES),
    )
    app.post(
      '/v1/widgets/:id/archive',
      {
        config: { access: { roles: ['analyst'], shopper: true }, problems: ['conflict'] },
        schema: {
          params: z.object({ id: z.string() }),
          body: z.object({ reason: z.string() }),
          response: { 200: z.object({ archived: z.boolean() }), 404: ProblemSchema },
        },
      },
      () => ({ archived: true }),
    )
    app.get('/v1/open', { config: { access: { public: true } } }, () => 'ok')
    await app.ready()
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, Json>> }
    const archive = doc.paths['/v1/widgets/{id}/archive']!.post!
    expect(archive.security).toEqual([{ apiKey: ['analyst'] }, { shopperToken: [] }])
    expect(Object.keys(archive.responses as Json).sort()).toEqual(
      ['200', '400', '401', '403', '404', '409', '413', '415', '429', '500'].sort(),
    )
    const open = doc.paths['/v1/open']!.get!
    expect(open.security).toBeUndefined()
    expect(Object.keys(open.responses as Json).sort()).toEqual(['200', '429', '500'])
    await app.close()
  })
})
