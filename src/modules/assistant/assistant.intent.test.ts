import { describe, expect, it } from 'vitest'
import { mergeIntent, parseModelIntent } from './assistant.intent.js'
import { parseRequest } from './assistant.parse.js'

const CATEGORIES = ['Kitchen', 'Tea', 'Candles']
const said = (intent: Record<string, unknown>) =>
  JSON.stringify({
    budget: null,
    category: null,
    occasion: null,
    recipient: null,
    terms: [],
    ...intent,
  })

describe('parseModelIntent', () => {
  it('reads an answer of the schema, fenced or not, with the category as the catalog spells it', () => {
    const text = said({ budget: { min: null, max: 15 }, category: 'tea', terms: ['caddy'] })
    expect(parseModelIntent(text, CATEGORIES)).toEqual({
      budget: { min: null, max: 15 },
      category: 'Tea',
      occasion: null,
      recipient: null,
      terms: ['caddy'],
    })
    expect(parseModelIntent('```json\n' + text + '\n```', CATEGORIES)?.category).toBe('Tea')
  })

  it.each([
    ['not JSON', 'a tea caddy, I think'],
    ['a field missing', JSON.stringify({ budget: null, category: null, terms: [] })],
    ['an unknown field', said({ mood: 'happy' })],
    ['a budget as a string', said({ budget: { min: null, max: '15' } })],
    ['a negative amount', said({ budget: { min: -1, max: null } })],
    ['a minimum over the maximum', said({ budget: { min: 20, max: 10 } })],
    ['a category the catalog lacks', said({ category: 'Garden' })],
    ['terms that are not words', said({ terms: [3] })],
  ])('refuses %s', (_, text) => {
    expect(parseModelIntent(text, CATEGORIES)).toBeUndefined()
  })
})

describe('mergeIntent', () => {
  it('keeps the parser alone without a model reading', () => {
    const parsed = parseRequest('a gift under 20 pounds for a tea lover', CATEGORIES)
    const all = 'candor'
    expect(mergeIntent(parsed, undefined)).toEqual({
      request: parsed,
      from: { budget: all, category: all, occasion: all, recipient: all, terms: all },
    })
  })

  it('lets the numbers the parser read win, and fills what it missed', () => {
    const parsed = parseRequest(
      'something under 20 pounds for my gran who likes a hot drink',
      CATEGORIES,
    )
    const model = parseModelIntent(
      said({
        budget: { min: 5, max: 12 },
        category: 'Tea',
        occasion: 'Birthday',
        recipient: 'grandmother',
        terms: ['tea', 'Caddy', 'teapot'],
      }),
      CATEGORIES,
    )
    const { request, from } = mergeIntent(parsed, model)
    // The parser read the maximum (20): it stays; the model's minimum fills the open end.
    expect(request.budget).toEqual({ min: 5, max: 20 })
    expect(request.category).toBe('Tea')
    expect(request.occasion).toBe('birthday')
    expect(request.recipient).toBe('gran')
    expect(request.terms.slice(0, parsed.terms.length)).toEqual([...parsed.terms])
    expect(request.terms).toContain('caddy')
    expect(request.terms).toContain('teapot')
    expect(request.terms.filter((t) => t === 'tea')).toHaveLength(1)
    expect(from).toEqual({
      budget: 'both',
      category: 'language_model',
      occasion: 'language_model',
      recipient: 'candor',
      terms: 'both',
    })
  })

  it("drops a model's budget end that crosses the one the parser read", () => {
    const parsed = parseRequest('a candle over 30 pounds', CATEGORIES)
    const model = parseModelIntent(said({ budget: { min: null, max: 20 } }), CATEGORIES)
    const { request, from } = mergeIntent(parsed, model)
    expect(request.budget).toEqual({ min: 30 })
    expect(from.budget).toBe('candor')
  })
})
