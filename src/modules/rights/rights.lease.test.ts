import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { currentHolder, formatHolder, isHolderDead, parseHolder } from './rights.lease.js'

describe('rights job lease holders', () => {
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
    expect(isHolderDead({ ...self, pid: exited.pid }, self)).toBe(true)
    // The parent of this process is alive; a holder with its id but this process's start time is not
    // that process (on Linux, where start times are read from /proc).
    const linux = !self.start.startsWith('r')
    expect(isHolderDead({ ...self, pid: process.ppid }, self)).toBe(linux)
    // The same process id as ours, another start: a previous run of this container, say.
    expect(isHolderDead({ ...self, start: `${self.start}0` }, self)).toBe(true)
  })

  it('a reboot since ends every lease of this machine; another machine is never judged', () => {
    if (self.boot !== '') expect(isHolderDead({ ...self, boot: 'another-boot' }, self)).toBe(true)
    expect(isHolderDead({ ...self, host: `${self.host}-elsewhere`, pid: 999_999_999 }, self)).toBe(
      false,
    )
  })
})
