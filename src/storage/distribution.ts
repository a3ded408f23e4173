/**
 * Where each table goes on a distributed PostgreSQL (Citus): the one list, read by docs/scale.md's
 * setup and checked against the migrated schema by `test/distribution-keys.test.ts` (a table missing
 * here fails that test until it is placed).
 *
 * - `distributed`: split by `by` into shards. Per-shopper tables are split by their owner (a subject
 *   id, or an anonymous visit's session key; `events.owner` holds either) and co-located, so everything
 *   of one shopper lives on one shard and the request path (settings, consent, history of one owner)
 *   is answered by one node. The key's first column is `by`, and every unique index includes it
 *   (Citus enforces uniqueness only within a shard).
 * - `reference`: small or catalog-like, copied to every node (joins and reads from any node; each
 *   write goes to every copy).
 * - `local`: stays a plain table on the coordinator, which every Candor process connects to.
 *
 * A table that has an owner column (`OWNER_COLUMNS`) but is not distributed by one says why.
 */
export type Placement =
  | { readonly kind: 'distributed'; readonly by: string; readonly why?: string }
  | { readonly kind: 'reference'; readonly why: string }
  | { readonly kind: 'local'; readonly why: string }

/** The columns that name a shopper: a subject id, an owner (subject id or session key), a session key. */
export const OWNER_COLUMNS: readonly string[] = ['subject_id', 'owner', 'session_key']

/** The table all per-shopper tables are co-located with (`colocate_with`). */
export const COLOCATION_ANCHOR = 'subjects'

const byOwner = (by: string): Placement => ({ kind: 'distributed', by })

export const TABLE_PLACEMENT: Readonly<Record<string, Placement>> = {
  // One shopper's rows, co-located by owner.
  subjects: byOwner('subject_id'),
  vault_entries: byOwner('subject_id'),
  subject_settings: byOwner('subject_id'),
  consent_records: byOwner('subject_id'),
  consent_prompts_shown: byOwner('subject_id'),
  recommend_forgotten: byOwner('subject_id'),
  events: byOwner('owner'),
  event_sessions: byOwner('session_key'),
  recommend_feedback: byOwner('owner'),
  touchpoint_counts: byOwner('owner'),
  cleanroom_pending: byOwner('subject_id'),
  cleanroom_matches: byOwner('subject_id'),
  experiment_enrolments: byOwner('owner'),
  experiment_exposures: byOwner('owner'),
  voice_entries: byOwner('owner'),
  survey_impressions: byOwner('owner'),
  vendor_outbox: byOwner('owner'),
  assistant_turns: byOwner('owner'),
  vendor_deliveries: byOwner('owner'),
  vendor_deletions: byOwner('owner'),
  subject_refs: {
    kind: 'distributed',
    by: 'ref_hash',
    why: 'found by the hash of a customer reference before its subject is known: placed by that hash',
  },
  recommend_answers: {
    kind: 'distributed',
    by: 'recomm_id',
    why: 'the answer log is kept without its shopper; one row per answer served, found by its id',
  },

  // Copied to every node.
  api_keys: { kind: 'reference', why: 'a handful of rows, read to authenticate every request' },
  catalog_items: { kind: 'reference', why: 'the shop catalog: shared by every shopper' },
  import_checkpoints: { kind: 'reference', why: 'one row per imported file' },
  recommend_answer_days: {
    kind: 'reference',
    why: 'answers per day, level and placement: a few hundred rows',
  },
  recommend_training_runs: { kind: 'reference', why: 'one row per training run' },
  offers: {
    kind: 'reference',
    why: 'the offers staff define: a few rows read on every offer answer',
  },
  offer_totals: {
    kind: 'reference',
    why: 'shown and clicked per offer, touchpoint and day: no shopper, a few rows a day',
  },
  surveys: {
    kind: 'reference',
    why: 'the surveys staff define: a few rows read when a page asks which survey to show',
  },
  cleanroom_uploads: {
    kind: 'reference',
    why: 'a few partner uploads, looked up by id on every clean-room call and swept by expiry',
  },
  pricing_rules: {
    kind: 'reference',
    why: 'pricing rules per category staff set: a few rows, no shopper',
  },
  pricing_prices: {
    kind: 'reference',
    why: 'the prices set per item (issue 24), read on every price answer; no shopper',
  },
  pricing_suggestions: {
    kind: 'reference',
    why: 'price suggestions per item staff approve or reject; no shopper',
  },
  experiments: {
    kind: 'reference',
    why: 'a few experiments staff define, read on every assignment',
  },
  rights_requests: {
    kind: 'reference',
    why: 'a few requests a day, looked up and updated by request id and swept by status and deadline',
  },
  rights_verifications: {
    kind: 'reference',
    why: 'one row per rights request, keyed by its id (a foreign key to rights_requests)',
  },

  // Plain tables on the coordinator.
  audit_log: {
    kind: 'local',
    why: 'one hash chain over every entry in order (seq), appended one entry at a time',
  },
  audit_tree: { kind: 'local', why: "the audit log's Merkle tree, written with each entry" },
  audit_checkpoints: { kind: 'local', why: 'signed checkpoints of the audit log' },
  jobs: {
    kind: 'local',
    why: 'one row per background job, claimed with FOR UPDATE SKIP LOCKED (Citus: single-shard only)',
  },
  recommend_models: {
    kind: 'local',
    why: 'the stored model versions (one kept): loaded by every process',
  },
  recommend_model_chunks: {
    kind: 'local',
    why: "a stored model's bytes: copying them to every node buys nothing",
  },
  recommend_model_locks: {
    kind: 'local',
    why: 'the training lease and the row a model write locks first',
  },
  cleanroom_partner_values: {
    kind: 'local',
    why: "a partner upload's doubly blinded values, kept only until it is matched: no owner to place by",
  },
  insights_budgets: {
    kind: 'local',
    why: 'one row per analyst or partner key, locked while the key spends from its privacy budget',
  },
  insights_spends: {
    kind: 'local',
    why: 'one row per query that spent privacy budget, summed per key under that lock',
  },
  review_reports: {
    kind: 'local',
    why: 'one audit report a day (issue 20), read newest first: no owner, nothing to spread',
  },
  review_dpia_signoffs: {
    kind: 'local',
    why: 'a few sign-offs of the impact assessment by privacy officers',
  },
  federated_sketch: {
    kind: 'local',
    why: 'running totals of anonymous federated reports (issue 22): no owner, read once per training',
  },
  voice_alerts: {
    kind: 'local',
    why: 'one row per spike alert raised (an item or aspect and its hour): a few a day, no owner',
  },
  candor_migrations: { kind: 'local', why: 'migration bookkeeping (Kysely)' },
  candor_migrations_lock: { kind: 'local', why: 'migration bookkeeping (Kysely)' },
  candor_watched_writes: { kind: 'local', why: 'SQLite only: the count of watched writes' },
}
