import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConsentRepository } from '../src/modules/consent/consent.repository.js'
import { createEventsRepository } from '../src/modules/events/events.repository.js'
import {
  EXPERIMENTS_OWNER,
  createExperimentsRepository,
} from '../src/modules/experiments/experiments.repository.js'
import { createIdentityRepository } from '../src/modules/identity/identity.repository.js'
import { createRecommendRepository } from '../src/modules/recommend/recommend.repository.js'
import { createSessionRepository } from '../src/modules/session/session.repository.js'
import type { ChangeFeed } from '../src/storage/changes.js'
import type { Db } from '../src/storage/db.js'
import { UNANNOUNCED_OWNER_TABLES, isOwnerWrite } from '../src/storage/owner-writes.js'
import {
  filesMakingOwnerWrites,
  sourceFiles,
  writeStatements,
} from './helpers/owner-writes-scan.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 17, point 4: every write to an owner's rows announces the owners it touched, through the one
 * wrapper (`src/storage/owner-writes.ts`). Three checks, on every database:
 * - the tables: every table keyed by an owner is announced unless listed (with why) as never copied;
 * - the sources: no statement writes an announced table outside `write` (a new write that forgets
 *   fails here), and every file that makes owner writes is one this test runs;
 * - the writes: every repository function made by `write` is found by reflection and run on the real
 *   database, and must change its owner's rows and announce that owner (or every owner, for a sweep).
 */

const OWNER_COLUMNS = ['subject_id', 'owner', 'session_key']
const EVERY = '(every owner)'
const SUBJECT = 'sub_ownerwrites'
const SESSION = 'ses_ownerwrites'
const LATER = '2026-03-02T10:00:00.000Z'

/** A feed that records what is announced to it. */
function recordingFeed(): ChangeFeed & { announced: string[] } {
  const announced: string[] = []
  return {
    announced,
    cacheable: true,
    owners: (...owners) => announced.push(...owners),
    everything: () => announced.push(EVERY),
    notify: () => undefined,
    checkExternal: () => undefined,
    sync: () => undefined,
    subscribe: () => undefined,
  }
}

/** The repositories whose writes are made with `write`, by the file that defines them. */
function repositories(changes: ChangeFeed) {
  return {
    'src/modules/identity/identity.repository.ts': createIdentityRepository(changes),
    'src/modules/consent/consent.repository.ts': createConsentRepository(changes),
    'src/modules/session/session.repository.ts': createSessionRepository(changes),
    'src/modules/events/events.repository.ts': createEventsRepository(changes),
    'src/modules/recommend/recommend.repository.ts': createRecommendRepository(changes),
    'src/modules/experiments/experiments.repository.ts': createExperimentsRepository(changes),
  }
}
type Repositories = ReturnType<typeof repositories>

/** The tables with an owner column, from the migrated database itself. */
async function ownerTables(ctx: TestContext): Promise<Set<string>> {
  const { rows } =
    ctx.dialect === 'sqlite'
      ? await sql<{ table: string; column: string }>`
          select m.name as "table", p.name as "column"
          from sqlite_master m join pragma_table_info(m.name) p
          where m.type = 'table'`.execute(ctx.storage.db)
      : await sql<{ table: string; column: string }>`
          select table_name as "table", column_name as "column"
          from information_schema.columns where table_schema = current_schema()
          -- A partition (events by month, migration 0021) is its table's rows, not a table apart.
          and table_name not in (select c.relname from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = current_schema() and c.relispartition)`.execute(ctx.storage.db)
  return new Set(rows.filter((r) => OWNER_COLUMNS.includes(r.column)).map((r) => r.table))
}

/** The rows of `table` whose `column` is `owner` (all rows: no column), as text to compare. */
async function rowsOf(db: Db, table: string, column?: string, owner?: string): Promise<string> {
  const { rows } =
    column === undefined
      ? await sql`select * from ${sql.table(table)}`.execute(db)
      : await sql`select * from ${sql.table(table)} where ${sql.ref(column)} = ${owner}`.execute(db)
  return JSON.stringify(rows.map((row) => JSON.stringify(row)).sort())
}

interface Fixture {
  /** Runs the write. */
  run(repos: Repositories, db: Db): Promise<unknown>
  /** What it must announce (`EVERY`: a sweep). */
  owners: string[]
  /** The rows it changes, read before and after. */
  rows(db: Db): Promise<string>
}

const event = (id: string, owner: { subjectId: string } | { sessionKey: string }) => ({
  id,
  type: 'view' as const,
  ...owner,
  item: 'MUG',
  receivedAt: '2026-03-02T09:00:00.000Z',
  purposes: ['personalize.recommendations'],
  expiresAt: '2026-03-02T09:30:00.000Z',
})
const feedback = (id: string) => ({
  id,
  kind: 'not_interested',
  item: 'MUG',
  reasonKind: null,
  rating: null,
  recommId: null,
  createdAt: '2026-03-02T09:00:00.000Z',
})
const I = 'src/modules/identity/identity.repository.ts'
const C = 'src/modules/consent/consent.repository.ts'
const S = 'src/modules/session/session.repository.ts'
const E = 'src/modules/events/events.repository.ts'
const R = 'src/modules/recommend/recommend.repository.ts'
const X = 'src/modules/experiments/experiments.repository.ts'
const EXPERIMENT = 'exp_ownerwrites'

/**
 * One run of every write, in an order in which each changes something (a delete runs after the insert
 * it removes). Keyed `file#function`: a write with no entry here fails the test.
 */
const FIXTURES: [string, Fixture][] = [
  [
    `${I}#insertSubject`,
    {
      run: (r, db) => r[I].insertSubject(db, SUBJECT, LATER),
      owners: [SUBJECT],
      rows: (db) => rowsOf(db, 'subjects', 'subject_id', SUBJECT),
    },
  ],
  [
    `${I}#insertRefHash`,
    {
      run: (r, db) => r[I].insertRefHash(db, 'k1:ref-hash', SUBJECT),
      owners: [SUBJECT, 'k1:ref-hash'],
      rows: (db) => rowsOf(db, 'subject_refs', 'subject_id', SUBJECT),
    },
  ],
  [
    `${I}#upsertVault`,
    {
      run: (r, db) =>
        r[I].upsertVault(db, {
          subjectId: SUBJECT,
          masterKeyId: 'm1',
          wrappedKey: 'wrapped',
          ciphertext: 'sealed',
          updatedAt: LATER,
        }),
      owners: [SUBJECT],
      rows: (db) => rowsOf(db, 'vault_entries', 'subject_id', SUBJECT),
    },
  ],
  [
    `${I}#rewrap`,
    {
      run: (r, db) => r[I].rewrap(db, SUBJECT, 'm1', 'm2', 'rewrapped'),
      owners: [SUBJECT],
      rows: (db) => rowsOf(db, 'vault_entries', 'subject_id', SUBJECT),
    },
  ],
  [
    `${C}#insertRecord`,
    {
      run: (r, db) =>
        r[C].insertRecord(db, SUBJECT, {
          id: 'cr_ownerwrites',
          purpose: 'personalize.recommendations',
          decision: 'granted',
          method: 'api',
          noticeVersion: 'v1',
          jurisdiction: 'UK',
          recordedAt: new Date(LATER),
        }),
      owners: [SUBJECT],
      rows: (db) => rowsOf(db, 'consent_records', 'subject_id', SUBJECT),
    },
  ],
  [
    `${C}#upsertSettings`,
    {
      run: (r, db) =>
        r[C].upsertSettings(db, SUBJECT, {
          level: 'session',
          jurisdiction: 'UK',
          restricted: false,
          updatedAt: LATER,
        }),
      owners: [SUBJECT],
      rows: (db) => rowsOf(db, 'subject_settings', 'subject_id', SUBJECT),
    },
  ],
  [
    `${C}#markPromptShown`,
    {
      run: (r, db) => r[C].markPromptShown(db, SUBJECT, 'personalize.recommendations', LATER),
      owners: [SUBJECT],
      rows: (db) => rowsOf(db, 'consent_prompts_shown', 'subject_id', SUBJECT),
    },
  ],
  [
    `${C}#deleteSubject`,
    {
      run: (r, db) => r[C].deleteSubject(db, SUBJECT),
      owners: [SUBJECT],
      rows: async (db) =>
        (await rowsOf(db, 'consent_records', 'subject_id', SUBJECT)) +
        (await rowsOf(db, 'subject_settings', 'subject_id', SUBJECT)) +
        (await rowsOf(db, 'consent_prompts_shown', 'subject_id', SUBJECT)),
    },
  ],
  [
    `${S}#insertSession`,
    {
      run: (r, db) =>
        r[S].insertSession(db, { sessionKey: SESSION, startedAt: LATER, expiresAt: LATER }),
      owners: [SESSION],
      rows: (db) => rowsOf(db, 'event_sessions', 'session_key', SESSION),
    },
  ],
  [
    `${E}#insertMany`,
    {
      run: (r, db) =>
        r[E].insertMany(db, [
          event('e-1', { subjectId: SUBJECT }),
          event('e-2', { subjectId: SUBJECT }),
          event('e-3', { sessionKey: SESSION }),
        ]),
      owners: [SUBJECT, SESSION],
      rows: async (db) =>
        (await rowsOf(db, 'events', 'owner', SUBJECT)) +
        (await rowsOf(db, 'events', 'owner', SESSION)),
    },
  ],
  [
    `${E}#narrow`,
    {
      run: (r, db) => {
        const { item: _item, ...narrowed } = event('e-1', { subjectId: SUBJECT })
        return r[E].narrow(db, narrowed)
      },
      owners: [SUBJECT],
      rows: (db) => rowsOf(db, 'events', 'owner', SUBJECT),
    },
  ],
  [
    `${E}#deleteByIds`,
    {
      run: (r, db) => r[E].deleteByIds(db, SUBJECT, ['e-1']),
      owners: [SUBJECT],
      rows: (db) => rowsOf(db, 'events', 'owner', SUBJECT),
    },
  ],
  [
    `${E}#deleteByOwner`,
    {
      run: (r, db) => r[E].deleteByOwner(db, SESSION),
      owners: [SESSION],
      rows: (db) => rowsOf(db, 'events', 'owner', SESSION),
    },
  ],
  [
    `${E}#deleteExpired`,
    {
      run: (r, db) => r[E].deleteExpired(db, LATER),
      owners: [EVERY],
      rows: (db) => rowsOf(db, 'events'),
    },
  ],
  [
    `${S}#deleteSession`,
    {
      run: (r, db) => r[S].deleteSession(db, SESSION),
      owners: [SESSION],
      rows: (db) => rowsOf(db, 'event_sessions', 'session_key', SESSION),
    },
  ],
  [
    `${R}#insertFeedback`,
    {
      run: async (r, db) => {
        await r[R].insertFeedback(db, SESSION, feedback('fb-2'), '2026-03-02T09:30:00.000Z')
        return r[R].insertFeedback(db, SUBJECT, feedback('fb-1'), '2027-03-02T09:00:00.000Z')
      },
      owners: [SUBJECT],
      rows: (db) => rowsOf(db, 'recommend_feedback', 'owner', SUBJECT),
    },
  ],
  [
    `${R}#deleteExpired`,
    {
      run: (r, db) => r[R].deleteExpired(db, LATER),
      owners: [EVERY],
      rows: (db) => rowsOf(db, 'recommend_feedback'),
    },
  ],
  [
    `${R}#deleteFeedback`,
    {
      run: (r, db) => r[R].deleteFeedback(db, SUBJECT),
      owners: [SUBJECT],
      rows: (db) => rowsOf(db, 'recommend_feedback', 'owner', SUBJECT),
    },
  ],
  // No owner column: the running experiments are copied whole, under one key (experiments.cache.ts).
  [
    `${X}#insertExperiment`,
    {
      run: (r, db) =>
        r[X].insertExperiment(db, {
          id: EXPERIMENT,
          name: 'Owner writes',
          status: 'running',
          stage: 0,
          keyId: 'k1',
          definition: '{}',
          looks: '{}',
          history: '[]',
          stoppedReason: null,
          createdAt: LATER,
          updatedAt: LATER,
        }),
      owners: [EXPERIMENTS_OWNER],
      rows: (db) => rowsOf(db, 'experiments', 'id', EXPERIMENT),
    },
  ],
  [
    `${X}#updateExperiment`,
    {
      run: (r, db) =>
        r[X].updateExperiment(
          db,
          EXPERIMENT,
          { status: 'running', stage: 0 },
          {
            status: 'stopped',
            stage: 0,
            looks: '{}',
            history: '[]',
            stoppedReason: null,
            updatedAt: LATER,
          },
        ),
      owners: [EXPERIMENTS_OWNER],
      rows: (db) => rowsOf(db, 'experiments', 'id', EXPERIMENT),
    },
  ],
  [
    `${I}#deleteSubject`,
    {
      run: (r, db) => r[I].deleteSubject(db, SUBJECT),
      owners: [SUBJECT],
      rows: async (db) =>
        (await rowsOf(db, 'subjects', 'subject_id', SUBJECT)) +
        (await rowsOf(db, 'subject_refs', 'subject_id', SUBJECT)) +
        (await rowsOf(db, 'vault_entries', 'subject_id', SUBJECT)),
    },
  ],
]

const statements = sourceFiles('src').flatMap((file) =>
  writeStatements(file, fs.readFileSync(file, 'utf8')),
)

for (const dialect of DIALECTS) {
  describe(`owner writes on ${dialect}`, () => {
    let ctx: TestContext
    let announced: Set<string>
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      const owned = await ownerTables(ctx)
      announced = new Set([...owned].filter((t) => !(t in UNANNOUNCED_OWNER_TABLES)))
    })
    afterAll(async () => {
      await ctx.close()
    })

    it('announces every table keyed by an owner, but those listed as never copied', async () => {
      const owned = await ownerTables(ctx)
      // The list names only real owner tables (no stale entries).
      for (const table of Object.keys(UNANNOUNCED_OWNER_TABLES)) expect(owned).toContain(table)
      expect([...announced].sort()).toEqual([
        'consent_prompts_shown',
        'consent_records',
        'event_sessions',
        'events',
        'recommend_feedback',
        'subject_refs',
        'subject_settings',
        'subjects',
        'vault_entries',
      ])
    })

    it('writes no announced table outside `write`, and the scan sees a write to each', () => {
      const toAnnounced = statements.filter((s) => announced.has(s.table))
      const unannounced = toAnnounced
        .filter((s) => !s.inWrite && !s.compiledOnly)
        .map((s) => `${s.file}:${s.line} writes ${s.table} outside write(...)`)
      expect(unannounced).toEqual([])
      // Not vacuous: the scan finds writes to every announced table, inside `write`.
      expect(new Set(toAnnounced.filter((s) => s.inWrite).map((s) => s.table))).toEqual(announced)
    })

    it('runs each owner write of every repository that makes them, and each announces its owners', async () => {
      const feed = recordingFeed()
      const repos = repositories(feed)
      const makers = filesMakingOwnerWrites(sourceFiles('src')).filter(
        (file) => file !== path.join('src', 'storage', 'owner-writes.ts'),
      )
      expect(makers.sort()).toEqual(Object.keys(repos).sort())
      const writes = Object.entries(repos).flatMap(([file, repo]) =>
        Object.entries(repo)
          .filter(([, value]) => isOwnerWrite(value))
          .map(([name]) => `${file}#${name}`),
      )
      expect(writes.sort()).toEqual(FIXTURES.map(([name]) => name).sort())
      for (const [name, fixture] of FIXTURES) {
        const before = await fixture.rows(ctx.storage.db)
        feed.announced.length = 0
        await fixture.run(repos, ctx.storage.db)
        expect(await fixture.rows(ctx.storage.db), `${name} changed nothing`).not.toBe(before)
        expect(feed.announced, name).toEqual(expect.arrayContaining(fixture.owners))
      }
    })
  })
}
