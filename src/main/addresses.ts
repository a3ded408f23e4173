/** What a person reads at start: where each page is. Shared by a single server and the worker primary. */

const PAGE_NAMES = {
  shop: 'demo shop',
  privacyCenter: 'privacy center',
  console: 'staff console',
  docs: 'API docs',
} as const

export type PageAddresses = { base: string } & Partial<Record<keyof typeof PAGE_NAMES, string>>

/** Where a person finds each page (the demo shop only in demo mode). */
export function pageAddresses(
  host: string,
  port: number,
  demo: boolean,
  https = false,
): PageAddresses {
  const shown =
    host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  const base = `${https ? 'https' : 'http'}://${shown}:${port}`
  return {
    base,
    ...(demo ? { shop: `${base}/` } : {}),
    privacyCenter: `${base}/privacy`,
    console: `${base}/console`,
    docs: `${base}/docs`,
  }
}

/** The first line, then one line a page: `  privacy center: http://...`. */
export function servingMessage(first: string, pages: PageAddresses): string {
  const lines = Object.entries(pages)
    .filter(([name]) => name !== 'base')
    .map(([name, url]) => `  ${PAGE_NAMES[name as keyof typeof PAGE_NAMES]}: ${url}`)
  return [first, ...lines].join('\n')
}
