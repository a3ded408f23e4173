/**
 * The data charter module: policy as code. Parse and validate `candor.charter.yaml`, render the privacy
 * notice from it, and answer small questions about purposes. Pure and transport-neutral.
 */
export { federatedNoticeText, federatedTermsOf, type FederatedTerms } from './charter.federated.js'
export {
  CharterSchema,
  PurposeSchema,
  PurposeKeySchema,
  JurisdictionKeySchema,
  LegalBasisSchema,
  DefaultChoiceSchema,
  DATA_CATEGORIES,
  DATA_CATEGORY_KEYS,
  SPECIAL_CATEGORIES,
  REQUIRED_SPECIAL_CATEGORIES,
  EVENT_FIELDS,
  EVENT_TYPES,
  EVENT_CATEGORY,
  PURPOSE_ROOTS,
  REQUIRED_PURPOSES,
  type Charter,
  type Purpose,
  type PurposeKey,
  type LegalBasis,
  type DefaultChoice,
  type DataCategory,
  type SpecialCategory,
  type EventType,
  type EventField,
  type Jurisdiction,
  type JurisdictionKey,
  type Touchpoint,
  type Vendor,
  type TcfSettings,
  type InsightsSettings,
  type PrivacyBudget,
} from './charter.js'
export {
  parseCharter,
  loadCharterFile,
  charterIssuesOf,
  formatCharterPath,
  type CharterIssue,
  type ParseCharterOptions,
} from './charter.parse.js'
export { resolveDefault, type CharterPath } from './charter.rules.js'
export {
  renderNotice,
  MODEL_CARD_PAGE,
  charterVersion,
  noticeVersionOf,
  canonicalJson,
  plainRetention,
  type Notice,
  type NoticeGroup,
  type NoticeGroupId,
  type NoticePurpose,
  type NoticeStatistics,
} from './charter.notice.js'
export { renderNoticeHtml, escapeHtml } from './charter.notice.html.js'
export {
  findPurpose,
  resolveJurisdiction,
  defaultChoice,
  saleOrSharingPurposes,
  aggregateAnalyticsPurposes,
  cleanRoomPurposes,
  purposesForEvent,
  eventFieldsFor,
  retentionDaysFor,
  capWindow,
  SERVED_TOUCHPOINTS,
  type CapWindow,
} from './charter.query.js'
export {
  checkCharterText,
  checkCharterFile,
  formatCharterCheck,
  type CharterCheck,
} from './charter.check.js'
export { charterRoutes } from './charter.routes.js'
export {
  ADEQUACY_DECISIONS,
  ADEQUACY_SOURCE,
  EEA_COUNTRIES,
  transferBasis,
  vendorFieldsOf,
} from './charter.vendors.js'
