/**
 * The voice of the customer (issue 21, part 3): reviews, survey answers and feedback on
 * personalization, taken under a charter purpose with the same personal-data scan as search queries
 * (the events module's `findPersonalData`), kept under the shopper's pseudonym until the purpose's
 * retention ends; their sentiment and aspects (`voice.analysis.ts`, wink-nlp), daily trends
 * (`voice.trends.ts`), and live alerts on spikes of negative entries (`voice.cusum.ts`, posted by
 * `voice.alerts.ts`), and the staff's live feed of both (`voice.feed.ts`, served as server-sent events
 * by `voice.feed.routes.ts`); the representativeness of respondents (`voice.representativeness.ts`, read
 * by `voice.respondents.ts`). A low rating hides the item through the recommend module's feedback. Owns
 * `voice_entries` and `voice_alerts` (migration 0029); SQL only in `voice.repository.ts`. Surveys staff
 * define and the one a storefront shows a shopper now (`voice.surveys*.ts`): `surveys` and
 * `survey_impressions` (migration 0038), SQL only in `voice.surveys.repository.ts`.
 *
 * May import: lib, storage, audit, charter, consent (the decision, settings), events (the scan), identity
 * (pseudonyms, the list of subjects), session (a visit's key), recommend (its feedback, type only). Other
 * modules use this one only through this file.
 */
export {
  ASPECTS,
  ASPECT_KEYWORDS,
  NEGATIVE_RATING,
  NEGATIVE_SENTIMENT,
  analyze,
  type Analysis,
  type Aspect,
} from './voice.analysis.js'
export { cusum, DEFAULT_CUSUM, type CusumOptions, type CusumResult } from './voice.cusum.js'
export {
  BASELINE_HOURS,
  CUSUM_HOURS,
  hourlyCounts,
  type AlertTarget,
  type VoiceAlert,
} from './voice.alerts.js'
export {
  DEFAULT_VOICE_PURPOSE,
  VOICE_DATA_CATEGORY,
  VOICE_KINDS,
  VoiceInputSchema,
  type Trends,
  type VoiceEntry,
  type VoiceInput,
  type VoiceKind,
  type VoiceReceipt,
} from './voice.js'
export { createVoiceService, type VoiceDeps, type VoiceService } from './voice.service.js'
export { voiceRoutes, type VoiceRoutesDeps } from './voice.routes.js'
export { voiceDataParticipant } from './voice.participant.js'
export { HIDING_RATING } from './voice.service.js'
export {
  MIN_RESPONDENTS,
  SKEW_THRESHOLD,
  type Representativeness,
} from './voice.representativeness.js'
export { type FeedEvent } from './voice.feed.js'
export { createVoiceAspectReader } from './voice.aspects.js'
export {
  SURVEY_CONTEXTS,
  SurveyInputSchema,
  type ActiveSurvey,
  type Survey,
  type SurveyInput,
} from './voice.surveys.js'
export { inSample, type SurveysService } from './voice.surveys.service.js'
