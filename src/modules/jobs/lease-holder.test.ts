import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { currentHolder, formatHolder, isHolderDead, parseHolder } from './lease-holder.js'

describe('job lease holders', () => {
  const self = currentHolder()

  it('round-trips through the stored text, and refuses anything else', () => {
    expect(parseHolder(formatHolder(self))).toEqual(self)
    expect(parseHolder(null)).toBeUndefined()
    expect(parseHolder('not json')).toBeUndefined()
    expect(parseHolder(JSON.stringify(['h', 'b', -1, 's']))).toBeUndefined()
  })

  it('this very process is alive', () => {
    expect(isHolderDead(self, self)).toBe(false)
    expect(isHolderDead({ ...currentHolder() }, self)).toBe(false)
  })

  it('a process that has exited is dead; so is one whose process id is now someone else’s', () => {
    const exited = spawnSync(process.execPath, ['-e', ''])
    // Judged only where /proc tells the boot and the namespace (Linux); elsewhere leases run out.
    const linux = self.boot !== '' && self.ns !== '' && !self.start.startsWith('r')
    expect(isHolderDead({ ...self, pid: exited.pid }, self)).toBe(linux)
    // The parent of this process is alive; a holder with its id but this process's start time is not
    // that process (on Linux, where start times are read from /proc).
    expect(isHolderDead({ ...self, pid: process.ppid }, self)).toBe(linux)
    // The same process id as ours, another start: a previous run of this container, say.
    expect(isHolderDead({ ...self, start: `${self.start}0` }, self)).toBe(linux)
  })

  it('judges no holder it cannot see: another machine, container or boot is waited out', () => {
    const gone = { ...self, pid: 999_999_999 }
    expect(isHolderDead(gone, self)).toBe(self.boot !== '' && self.ns !== '')
    expect(isHolderDead({ ...gone, host: `${self.host}-elsewhere` }, self)).toBe(false)
    expect(isHolderDead({ ...gone, ns: 'pid:[1]' }, self)).toBe(false)
    expect(isHolderDead({ ...gone, boot: 'another-boot' }, self)).toBe(false)
  })
})
