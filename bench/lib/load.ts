/**
 * The load side of `npm run bench:serve`: server child processes started and awaited, warm-up passes,
 * autocannon loads with the server's CPU time per request, a free port.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import autocannon from 'autocannon'

/** Where the servers' logs go, and the children to stop at the end. */
export interface ServerPool {
  dir: string
  children: ChildProcess[]
}

/**
 * Starts a server child; resolves once its output has matched every `ready` pattern. The output goes
 * to a file, not through this process: this process is the load generator, and reading a log line
 * per request would take its time from the load.
 */
export async function startServer(
  pool: ServerPool,
  env: Record<string, string | undefined>,
  name: string,
  command: string[],
  extraEnv: Record<string, string>,
  ready: [RegExp, number][],
): Promise<ChildProcess> {
  const logFile = path.join(pool.dir, `${name}.log`)
  const out = fs.openSync(logFile, 'w')
  const child = spawn(process.execPath, command, {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', out, out],
  })
  fs.closeSync(out)
  pool.children.push(child)
  for (;;) {
    const text = fs.readFileSync(logFile, 'utf8')
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}): ${text.slice(-500)}`)
    }
    if (ready.every(([pattern, times]) => (text.match(pattern)?.length ?? 0) >= times)) return child
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

/**
 * `workers` passes over `paths` (sequential), each request on a connection of its own, so that with
 * worker processes (which take connections in turn) each path reaches each worker: the lazy parts of
 * every process run before the measurement.
 */
export async function warmUp(
  auth: Record<string, string>,
  port: number,
  paths: string[],
  workers: number,
): Promise<void> {
  for (const p of paths) {
    for (let pass = 0; pass < workers; pass++) {
      const status = await new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: p, headers: auth, agent: false }, (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          })
          .on('error', reject)
      })
      if (status !== 200) throw new Error(`warm-up ${p}: HTTP ${status}`)
    }
  }
}

/**
 * CPU seconds (user + system) the process and its children (worker processes) have used so far, from
 * /proc (Linux), else undefined. The server's CPU per request is steadier than requests/s on a machine
 * the load generator shares.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  // After "pid (comm) ": ppid is field 2, utime and stime 12 and 13 (fields 4, 14 and 15 of the line).
  const statOf = (p: string) =>
    fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')
  try {
    let total = 0
    for (const p of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let fields: string[]
      try {
        fields = statOf(p)
      } catch {
        continue
      }
      if (p === String(pid) || fields[1] === String(pid))
        total += Number(fields[11]) + Number(fields[12])
    }
    return total / 100
  } catch {
    return undefined
  }
}

/** One load's figures. */
export interface LoadResult {
  requestsPerSecond: number
  cpuMicrosPerRequest: number | undefined
  p50ms: number
  p99ms: number
  errors: number
}

/**
 * Loads `paths` (in turn) on `port` with autocannon for `options.seconds`, and the server's CPU time per
 * request (`server` and its worker processes).
 */
export async function load(
  options: { connections: number; seconds: number; auth: Record<string, string> },
  server: ChildProcess,
  port: number,
  paths: string[],
  /**
   * Given: every request, on any connection, takes the next of `paths` from `cursor.next` on (each
   * connection would otherwise walk the list from its start, all of them asking for the same one).
   */
  cursor?: { next: number },
): Promise<LoadResult> {
  const cpuBefore = cpuSeconds(server.pid)
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: options.connections,
    duration: options.seconds,
    headers: options.auth,
    // Built once, not per request: a `setupRequest` rebuilding each request took the load generator's
    // time, and on a machine it shares with the server's worker processes, theirs. With a cursor it
    // only sets the path.
    requests:
      cursor === undefined
        ? paths.map((path) => ({ method: 'GET', path }))
        : [
            {
              method: 'GET',
              setupRequest: (request) => {
                request.path = paths[cursor.next++ % paths.length]!
                return request
              },
            },
          ],
  })
  const cpuAfter = cpuSeconds(server.pid)
  return {
    requestsPerSecond: Math.round(result.requests.average),
    cpuMicrosPerRequest:
      cpuBefore === undefined || cpuAfter === undefined || result.requests.total === 0
        ? undefined
        : Math.round(((cpuAfter - cpuBefore) / result.requests.total) * 1e6),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  }
}
