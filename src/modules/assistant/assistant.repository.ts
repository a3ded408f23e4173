import type { Db } from '../../storage/db.js'
import type { AssistantItem } from './assistant.js'

/** The assistant's table (migration 0039). No copy is made of it: every read goes to the database. */
type AssistantTables = {
  assistant_turns: {
    owner: string
    conversation_id: string
    id: string
    text: string
    reply: string
    items: string
    level: string
    created_at: string
    expires_at: string
  }
}

/** One turn of a kept conversation: the shopper's message, the reply and the items shown (ids, titles). */
export interface Turn {
  conversationId: string
  id: string
  text: string
  reply: string
  items: Pick<AssistantItem, 'id' | 'title'>[]
  level: string
  createdAt: string
  expiresAt: string
}

export type AssistantRepository = ReturnType<typeof createAssistantRepository>

/** The assistant's SQL; every function takes the database or a transaction first. */
export function createAssistantRepository() {
  const t = (db: Db) => db.withTables<AssistantTables>()
  return {
    async insertTurn(db: Db, owner: string, turn: Turn): Promise<void> {
      await t(db)
        .insertInto('assistant_turns')
        .values({
          owner,
          conversation_id: turn.conversationId,
          id: turn.id,
          text: turn.text,
          reply: turn.reply,
          items: JSON.stringify(turn.items),
          level: turn.level,
          created_at: turn.createdAt,
          expires_at: turn.expiresAt,
        })
        .execute()
    },

    async listOwnerTurns(db: Db, owner: string): Promise<Turn[]> {
      const rows = await t(db)
        .selectFrom('assistant_turns')
        .selectAll()
        .where('owner', '=', owner)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return rows.map((r) => ({
        conversationId: r.conversation_id,
        id: r.id,
        text: r.text,
        reply: r.reply,
        items: JSON.parse(r.items) as Turn['items'],
        level: r.level,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
      }))
    },

    async deleteOwnerTurns(db: Db, owner: string): Promise<number> {
      const result = await t(db)
        .deleteFrom('assistant_turns')
        .where('owner', '=', owner)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async deleteExpired(db: Db, now: string): Promise<number> {
      const result = await t(db)
        .deleteFrom('assistant_turns')
        .where('expires_at', '<=', now)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
