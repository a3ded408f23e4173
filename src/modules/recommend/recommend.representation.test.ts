import { describe, expect, it } from 'vitest'
import type { Answer } from './answer.js'
import type { ExplainedItem } from './explanations.js'
import { RecommendationAnswerSchema } from './recommend.js'
import { answerBody, answerJson } from './recommend.representation.js'

const items: ExplainedItem[] = [
  {
    id: '22086',
    title: 'Paper Chain Kit 50\'s "Christmas" \u2603',
    category: ['Christmas', 'Décor'],
    price: 2.95,
    explanation: {
      kind: 'bought_together',
      sentence: 'Often bought together with Paper Chain Kit Vintage Christmas, which you bought.',
      evidence: [{ id: '22910', title: 'Paper Chain Kit Vintage Christmas' }],
    },
  },
  {
    id: 'a/b c',
    title: 'No price\\here\n',
    category: [],
    explanation: { kind: 'popular', sentence: 'Popular with shoppers.', evidence: [] },
  },
]

const answers: Answer[] = [
  {
    recommId: 'rec_1',
    level: 'personal',
    levelReason: 'personal: you allowed personalized recommendations',
    subject: 'cust "1042"/x',
    session: undefined,
    items,
  },
  {
    recommId: 'rec_2',
    level: 'session',
    levelReason: 'session: based only on what you do during this visit',
    subject: undefined,
    session: 'sess-1',
    items,
  },
  {
    recommId: 'rec_3',
    level: 'off',
    levelReason: 'off: personalized suggestions were shown as often as allowed',
    subject: 'cust-7',
    session: undefined,
    items: [],
    prompt: { purpose: 'personalize', title: 'T', benefit: 'B', noticeVersion: '3' },
    cap: { touchpoint: 'recommendations', max: 5, perDays: 1, resetsAt: '2026-01-01T00:00:00Z' },
  },
  {
    recommId: 'rec_4',
    level: 'off',
    levelReason: 'off: nothing about you is used',
    subject: undefined,
    session: undefined,
    items,
  },
]

describe('answerJson', () => {
  it.each(answers.map((a) => [a.recommId, a] as const))(
    'writes what answerBody holds, valid against the schema (%s)',
    (_, answer) => {
      const parsed: unknown = JSON.parse(answerJson(answer))
      expect(parsed).toEqual(answerBody(answer))
      expect(RecommendationAnswerSchema.safeParse(parsed).success).toBe(true)
    },
  )

  it('names each answer in its links although the items JSON is written once', () => {
    const first = JSON.parse(answerJson(answers[0]!)) as { items: { links: unknown }[] }
    const again = JSON.parse(answerJson({ ...answers[0]!, recommId: 'rec_9', subject: 'other' }))
    expect(first.items[0]!.links).toMatchObject({ notThis: { body: { recommId: 'rec_1' } } })
    expect(again).toEqual(answerBody({ ...answers[0]!, recommId: 'rec_9', subject: 'other' }))
  })

  it('keeps the schema order of the fields', () => {
    const json = answerJson(answers[2]!)
    expect(Object.keys(JSON.parse(json) as object)).toEqual([
      'recommId',
      'level',
      'levelReason',
      'items',
      'prompt',
      'cap',
    ])
    const item = Object.keys((JSON.parse(answerJson(answers[0]!)) as { items: object[] }).items[0]!)
    expect([...item].sort()).toEqual(['category', 'explanation', 'id', 'links', 'price', 'title'])
    expect(item.at(-1)).toBe('links')
  })
})
