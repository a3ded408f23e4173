import type { Db } from '../../storage/db.js'
import type { ApiKeyInfo, Role } from './auth.js'

type AuthTables = {
  api_keys: {
    id: string
    role: string
    name: string
    vendor: string | null
    secret_hash: string
    created_at: string
    revoked_at: string | null
  }
}

function toInfo(row: AuthTables['api_keys']): ApiKeyInfo {
  return {
    id: row.id,
    role: row.role as Role,
    name: row.name,
    vendor: row.vendor ?? null,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  }
}

export function createAuthRepository() {
  const t = (db: Db) => db.withTables<AuthTables>()
  return {
    async insertKey(db: Db, key: ApiKeyInfo & { secretHash: string }): Promise<void> {
      await t(db)
        .insertInto('api_keys')
        .values({
          id: key.id,
          role: key.role,
          name: key.name,
          vendor: key.vendor,
          secret_hash: key.secretHash,
          created_at: key.createdAt,
          revoked_at: key.revokedAt,
        })
        .execute()
    },
    async findKey(db: Db, id: string): Promise<(ApiKeyInfo & { secretHash: string }) | undefined> {
      const row = await t(db)
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return row === undefined ? undefined : { ...toInfo(row), secretHash: row.secret_hash }
    },
    async listKeys(db: Db): Promise<ApiKeyInfo[]> {
      const rows = await t(db).selectFrom('api_keys').selectAll().orderBy('created_at').execute()
      return rows.map(toInfo)
    },
    /** Notes that the key authenticated a request at `at` (see `KEY_USE_WRITE_MS`). */
    async touchKey(db: Db, id: string, at: string): Promise<void> {
      await db
        .withTables<{ api_keys: { id: string; last_used_at: string | null } }>()
        .updateTable('api_keys')
        .set({ last_used_at: at })
        .where('id', '=', id)
        .execute()
    },
    async revokeKey(db: Db, id: string, at: string): Promise<boolean> {
      const result = await t(db)
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },
  }
}
