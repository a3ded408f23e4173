import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from './config.js'

const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`

function errorOf(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('vendor destinations in the environment', () => {
  it('reads a destination by its environment key, with defaults for the settings', () => {
    const config = parseConfig({
      CANDOR_VENDOR_AD_NETWORK_URL: 'https://ads.example/hooks',
      CANDOR_VENDOR_AD_NETWORK_SECRET: SECRET,
    })
    expect(config.vendors.destinations).toEqual({
      AD_NETWORK: {
        url: 'https://ads.example/hooks',
        deletionUrl: 'https://ads.example/hooks',
        secret: SECRET,
      },
    })
    expect(config.vendors).toMatchObject({
      maxTries: 8,
      intervalSeconds: 5,
      deletionOverdueHours: 72,
    })
  })

  it('names the variable and never echoes the secret', () => {
    const missing = errorOf({ CANDOR_VENDOR_AD_NETWORK_URL: 'https://ads.example/hooks' })
    expect(missing.variable).toBe('CANDOR_VENDOR_AD_NETWORK_SECRET')
    const bad = errorOf({
      CANDOR_VENDOR_AD_NETWORK_URL: 'https://ads.example/hooks',
      CANDOR_VENDOR_AD_NETWORK_SECRET: 'hunter2-not-a-webhook-secret',
    })
    expect(bad.variable).toBe('CANDOR_VENDOR_AD_NETWORK_SECRET')
    expect(bad.message).not.toContain('hunter2')
    const plain = errorOf({
      CANDOR_VENDOR_AD_NETWORK_URL: 'http://ads.example/hooks',
      CANDOR_VENDOR_AD_NETWORK_SECRET: SECRET,
    })
    expect(plain.variable).toBe('CANDOR_VENDOR_AD_NETWORK_URL')
    expect(errorOf({ CANDOR_VENDOR_MAX_TRIES: '0' }).variable).toBe('CANDOR_VENDOR_MAX_TRIES')
  })

  it('allows http:// to this machine only, and a separate deletion URL', () => {
    const config = parseConfig({
      CANDOR_VENDOR_CLOUD_HOST_URL: 'http://127.0.0.1:9000/in',
      CANDOR_VENDOR_CLOUD_HOST_SECRET: SECRET,
      CANDOR_VENDOR_CLOUD_HOST_DELETION_URL: 'https://host.example/delete',
    })
    expect(config.vendors.destinations.CLOUD_HOST?.deletionUrl).toBe('https://host.example/delete')
  })
})
