import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, isLoopback, parseConfig } from './config.js'

describe('parseConfig', () => {
  it('applies documented defaults and freezes the result', () => {
    const config = parseConfig({})
    expect(config.port).toBe(8080)
    expect(config.dataDir).toBe(path.resolve('./data'))
    expect(config.database).toEqual({ kind: 'sqlite', file: path.resolve('./data/candor.sqlite') })
    expect(config.keyFile).toBe(path.resolve('./data/candor.keys.json'))
    expect(config.logLevel).toBe('info')
    expect(config.auditIntervalHours).toBe(24)
    expect(parseConfig({ CANDOR_AUDIT_INTERVAL_HOURS: '0' }).auditIntervalHours).toBe(0)
    expect(config.pricingIntervalHours).toBe(24)
    expect(parseConfig({ CANDOR_PRICING_INTERVAL_HOURS: '0' }).pricingIntervalHours).toBe(0)
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
    ['CANDOR_AUDIT_INTERVAL_HOURS', 'daily', /CANDOR_AUDIT_INTERVAL_HOURS: .*whole number/],
    [
      'CANDOR_PRICING_INTERVAL_HOURS',
      '8761',
      /CANDOR_PRICING_INTERVAL_HOURS: must be at most 8760/,
    ],
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

  describe('demo mode', () => {
    it('is on by default only for the embedded SQLite file in the default data dir', () => {
      expect(parseConfig({})).toMatchObject({ demo: true, demoReason: 'auto-default-sqlite' })
      expect(parseConfig({ CANDOR_DATA_DIR: './data' }).demo).toBe(true)
    })

    it.each([
      ['a PostgreSQL database', { CANDOR_DATABASE_URL: 'postgres://u:p@db.internal:5432/shop' }],
      ['a data dir an operator chose', { CANDOR_DATA_DIR: '/var/lib/candor' }],
      ['a SQLite file elsewhere', { CANDOR_DATABASE_URL: 'sqlite:/srv/candor/shop.sqlite' }],
      [
        'CANDOR_DEMO=auto on PostgreSQL',
        { CANDOR_DEMO: 'auto', CANDOR_DATABASE_URL: 'postgres://h/db' },
      ],
    ])('is off by default with %s', (_name, env) => {
      expect(parseConfig(env)).toMatchObject({ demo: false, demoReason: 'auto-other-database' })
    })

    it('follows an explicit CANDOR_DEMO either way', () => {
      const pg = { CANDOR_DATABASE_URL: 'postgres://u:p@db.internal:5432/shop' }
      expect(parseConfig({ ...pg, CANDOR_DEMO: 'on' })).toMatchObject({
        demo: true,
        demoReason: 'explicit',
      })
      expect(parseConfig({ CANDOR_DEMO: 'off' })).toMatchObject({
        demo: false,
        demoReason: 'explicit',
      })
      expect(() => parseConfig({ CANDOR_DEMO: 'maybe' })).toThrow(
        /CANDOR_DEMO: must be auto, on or off/,
      )
    })
  })

  it('tells loopback hosts (no warning) from network ones (demo mode warns)', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost'])
      expect(isLoopback(host)).toBe(true)
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'shop.example'])
      expect(isLoopback(host)).toBe(false)
  })
})
