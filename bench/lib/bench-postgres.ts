/**
 * A PostgreSQL database of a benchmark's own on the server `CANDOR_BENCH_DATABASE_URL` names: created
 * empty for the run (`candor_bench_<pid>`) and dropped afterwards, so a bench never touches the
 * database others (tests, engineers) use on the same server. The URL's role needs CREATEDB.
 */
import pg from 'pg'

export const BENCH_DATABASE_VARIABLE = 'CANDOR_BENCH_DATABASE_URL'

export interface BenchDatabase {
  /** The new database's URL. */
  url: string
  /** Drops it (closing what still holds a connection to it). */
  drop(): Promise<void>
}

/** The server URL from the environment, or an error that names the variable. */
export function benchServerUrl(env: Record<string, string | undefined>): string {
  const url = env[BENCH_DATABASE_VARIABLE]
  if (url === undefined || url.trim() === '') {
    throw new Error(
      `${BENCH_DATABASE_VARIABLE} is not set: give it the postgres:// URL of a server whose role may create databases (the bench makes one of its own and drops it)`,
    )
  }
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new Error(`${BENCH_DATABASE_VARIABLE} must be a postgres:// URL`)
  return url
}

/** Creates `candor_bench_<pid>` on the server `serverUrl` names. */
export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `candor_bench_${process.pid}`
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }
  await admin(`drop database if exists ${name} with (force)`)
  await admin(`create database ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  let dropped = false
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return
      dropped = true
      await admin(`drop database if exists ${name} with (force)`)
    },
  }
}
