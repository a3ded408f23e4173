/**
 * The personalization levels a shopper may choose, as the notice explains them (`Notice.levels`); the
 * consent module decides which one is in effect.
 */
import type { Notice } from './charter.notice.js'

export const NOTICE_LEVELS: Notice['levels'] = [
  { level: 'off', title: 'Off', text: 'Nothing personal. You see popular and new products.' },
  {
    level: 'session',
    title: 'This visit only',
    text: 'Suggestions based on this visit. We forget it when you leave.',
  },
  {
    level: 'personal',
    title: 'Personal',
    text: 'Suggestions based on your history. Only with your yes.',
  },
  {
    level: 'on_device',
    title: 'On this device only',
    text: 'Suggestions based on your history, kept and worked out in this browser only. We store nothing about you. Only with your yes.',
  },
]
