import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from './config.js'

describe('parseConfig', () => {
  it('applies documented defaults and freezes the result', () => {
    const config = parseConfig({})
    expect(config.port).toBe(8080)
    expect(config.dataDir).toBe(path.resolve('./data'))
    expect(config.database).toEqual({ kind: 'sqlite', file: path.resolve('./data/candor.sqlite') })
    expect(config.keyFile).toBe(path.resolve('./data/candor.keys.json'))
    expect(config.logLevel).toBe('info')
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('chooses PostgreSQL for postgres:// URLs', () => {
    const config = parseConfig({ CANDOR_DATABASE_URL: 'postgres://u:p@localhost:5432/db' })
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@localhost:5432/db' })
  })

  it.each([
    ['CANDOR_PORT', 'eighty', /CANDOR_PORT: .*whole number/],
    ['CANDOR_PORT', '70000', /CANDOR_PORT: must be at most 65535/],
    ['CANDOR_LOG_LEVEL', 'loud', /CANDOR_LOG_LEVEL/],
    ['CANDOR_DATABASE_URL', 'mysql://x', /CANDOR_DATABASE_URL: must start with postgres:\/\//],
    ['CANDOR_RATE_LIMIT_PER_MINUTE', '0', /CANDOR_RATE_LIMIT_PER_MINUTE: must be at least 1/],
  ])('names %s when it is wrong', (name, value, message) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError)
    expect(() => parseConfig({ [name]: value })).toThrow(message)
  })

  it('never echoes a database URL (it may hold a password)', () => {
    try {
      parseConfig({ CANDOR_DATABASE_URL: 'postgres://user:s3cret@[bad' })
      expect.unreachable()
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret')
    }
  })
})
