import type { SurveyInput } from '../voice/index.js'

/**
 * The demo shop's survey (issue 21): one question under the recommendation row, asked only of shoppers
 * who allowed suggestions from their history (the purpose it rests on), at most once a month each.
 */
export const DEMO_SURVEYS: readonly SurveyInput[] = [
  {
    id: 'suggestion-helpful',
    title: 'Tell us about these suggestions',
    questions: [
      {
        id: 'helpful',
        text: 'Was this suggestion helpful?',
        kind: 'choice',
        options: ['Yes', 'No'],
      },
    ],
    contexts: ['recommendations'],
    purpose: 'personalize.recommendations',
    schedule: {},
    sampleRate: 1,
    capDays: 30,
    priority: 0,
    active: true,
  },
]
