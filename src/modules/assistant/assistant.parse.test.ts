import { describe, expect, it } from 'vitest'
import { parseRequest } from './assistant.parse.js'
import { searchCatalog } from './assistant.search.js'

const CATEGORIES = ['Kitchen', 'Tea', 'Mugs', 'Candles', 'Cards', 'Christmas', 'Bags']

describe('parseRequest', () => {
  it('reads budget, occasion, recipient and the words to search from the brief example', () => {
    expect(parseRequest('a gift under 20 pounds for a tea lover', CATEGORIES)).toEqual({
      budget: { max: 20 },
      category: 'Tea',
      occasion: 'gift',
      recipient: 'tea lover',
      interest: 'tea',
      terms: ['tea'],
    })
  })

  it.each([
    ['under 20 pounds', { max: 20 }],
    ['less than £15', { max: 15 }],
    ['below £7.50', { max: 7.5 }],
    ['something for 50p or less', { max: 0.5 }],
    ['no more than 12 quid', { max: 12 }],
    ['between 5 and 10', { min: 5, max: 10 }],
    ['from £5 to £10', { min: 5, max: 10 }],
    ['£10-£25 please', { min: 10, max: 25 }],
    ['over £30', { min: 30 }],
    ['at least 8 pounds but under 20', { min: 8, max: 20 }],
  ])('budget of %j', (text, budget) => {
    expect(parseRequest(`a candle ${text}`, CATEGORIES).budget).toEqual(budget)
  })

  it('takes no budget from numbers that are not money', () => {
    const parsed = parseRequest('a set of 2-4 mugs', CATEGORIES)
    expect(parsed.budget).toBeUndefined()
    expect(parsed.category).toBe('Mugs')
  })

  it.each([
    ['a birthday present for my mum', 'birthday', 'mum', ['birthday']],
    ['christmas decorations for my nan', 'christmas', 'nan', ['christmas', 'decorations']],
    ['something for a wedding', 'wedding', undefined, ['wedding']],
    [
      'xmas stocking fillers for kids',
      'christmas',
      undefined,
      ['christmas', 'stocking', 'fillers', 'children'],
    ],
  ])('occasion and recipient of %j', (text, occasion, recipient, terms) => {
    const parsed = parseRequest(text, [])
    expect(parsed.occasion).toBe(occasion)
    expect(parsed.recipient).toBe(recipient)
    expect(parsed.terms).toEqual(terms)
  })

  it('finds a category by its plural, singular or a synonym', () => {
    expect(parseRequest('candle', CATEGORIES).category).toBe('Candles')
    expect(parseRequest('a nice cup', CATEGORIES).category).toBe('Mugs')
    expect(parseRequest('bags', CATEGORIES).category).toBe('Bags')
    expect(parseRequest('a lamp', CATEGORIES).category).toBeUndefined()
  })
})

describe('searchCatalog', () => {
  const items = [
    { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen', 'Tea'], price: 6, available: true },
    { id: 'POT', title: 'Teapot', category: ['Kitchen', 'Tea'], price: 35, available: true },
    { id: 'MUG', title: 'Tea mug', category: ['Kitchen', 'Mugs'], price: 8, available: true },
    { id: 'TOWEL', title: 'Tea towel retrospot', category: ['Kitchen'], price: 3, available: true },
    { id: 'GONE', title: 'Tea caddy', category: ['Kitchen', 'Tea'], price: 5, available: false },
    {
      id: 'HERB',
      title: 'Herbal tea for sleep',
      category: ['Health'],
      price: 4,
      available: true,
      specialCategory: 'health',
    },
    { id: 'CANDLE', title: 'Candle', category: ['Home', 'Candles'], price: 4, available: true },
    { id: 'NOPRICE', title: 'Tea strainer', category: ['Kitchen', 'Tea'], available: true },
  ]

  it('answers only offered items within the budget whose text matches the request', () => {
    const ids = searchCatalog(items, 'a gift under 20 pounds for a tea lover', 10).map(
      (h) => h.item.id,
    )
    expect(new Set(ids)).toEqual(new Set(['TEA', 'MUG', 'TOWEL']))
  })

  it('matches plurals and near misspellings, title before category', () => {
    expect(searchCatalog(items, 'candles', 10).map((h) => h.item.id)).toEqual(['CANDLE'])
    expect(searchCatalog(items, 'tepot', 10).map((h) => h.item.id)[0]).toBe('POT')
  })

  it('without words to search, answers every item within the budget', () => {
    const ids = searchCatalog(items, 'anything under £5', 10).map((h) => h.item.id)
    expect(new Set(ids)).toEqual(new Set(['TOWEL', 'CANDLE']))
  })
})
