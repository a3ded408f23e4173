import fs from 'node:fs'
import os from 'node:os'
import { randomSecret } from '../../lib/crypto.js'

/**
 * Who holds a job's lease (see `jobs.repository.ts`): the machine (host name and the kernel's boot id), the process-id
 * namespace, the process id and when that process started. Stored beside `lease_until` so that a
 * restarted process can tell, without waiting for the lease to run out, that the holder is dead: same
 * machine, same namespace, and either no process with that id any more or one that started at another
 * time (the id was reused). Anything it cannot see (another machine, another container, a kernel
 * rebooted since: the boot id differs, which a machine of the same name would too) is waited out.
 */
export interface LeaseHolder {
  host: string
  /** The kernel's boot id (Linux), empty where unknown. */
  boot: string
  /** The process-id namespace (Linux, as `pid:[inode]`), empty where unknown. */
  ns: string
  pid: number
  /** The process's start time: clock ticks since boot from /proc (Linux), else a random token. */
  start: string
}

/** The text stored in `jobs.lease_holder`. */
export function formatHolder(holder: LeaseHolder): string {
  return JSON.stringify([holder.host, holder.boot, holder.ns, holder.pid, holder.start])
}

export function parseHolder(text: string | null): LeaseHolder | undefined {
  if (text === null) return undefined
  try {
    const value = JSON.parse(text) as unknown
    if (!Array.isArray(value) || value.length !== 5) return undefined
    const [host, boot, ns, pid, start] = value as unknown[]
    if ([host, boot, ns, start].some((part) => typeof part !== 'string')) return undefined
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined
    return { host, boot, ns, pid, start } as LeaseHolder
  } catch {
    return undefined
  }
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    return ''
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
function processStart(pid: number): string | undefined {
  const stat = readOrEmpty(`/proc/${pid}/stat`)
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = rest[19]
  return stat === '' || ticks === undefined || !/^\d+$/.test(ticks) ? undefined : ticks
}

function namespace(): string {
  try {
    return fs.readlinkSync('/proc/self/ns/pid')
  } catch {
    return ''
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

let self: LeaseHolder | undefined

/** This process, as a lease holder (the same value for every service in the process). */
export function currentHolder(): LeaseHolder {
  self ??= {
    host: os.hostname(),
    boot: readOrEmpty('/proc/sys/kernel/random/boot_id'),
    ns: namespace(),
    pid: process.pid,
    start: processStart(process.pid) ?? `r${randomSecret(8).toString('hex')}`,
  }
  return self
}

/**
 * True only when the holder is provably dead; false whenever that cannot be known (another machine or
 * container, a reboot since, or a live process with that id whose start time cannot be read), so such
 * a lease is waited out.
 */
export function isHolderDead(holder: LeaseHolder, self: LeaseHolder): boolean {
  if (holder.host !== self.host || holder.boot !== self.boot || holder.ns !== self.ns) return false
  if (self.boot === '' || self.ns === '') return false
  if (holder.pid === self.pid) return holder.start !== self.start
  if (!isAlive(holder.pid)) return true
  const start = processStart(holder.pid)
  return start !== undefined && start !== holder.start
}
