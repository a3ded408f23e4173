import fs from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify'
import { AppError } from '../lib/errors.js'
import { textAnswer } from './openapi.js'

export interface PagesOptions {
  /** Built pages (Vite output): index.html and assets/. */
  webDir: string
  /** Built browser SDK: candor.min.js. */
  sdkDir: string
  /** Serve the demo shop's pages at `/`, `/c/:category`, `/p/:item` and `/basket`. */
  shop: boolean
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

const PUBLIC = { access: { public: true } } as const

/** What the document shows for each kind of file (shortened: the built files are minified). */
const PAGE = textAnswer('The page shell: one HTML file for every page; its script picks the page', {
  'text/html': [
    '<!doctype html>',
    '<html lang="en-GB">',
    '  <head>',
    '    <meta charset="utf-8" />',
    '    <meta name="viewport" content="width=device-width, initial-scale=1" />',
    '    <link rel="icon" href="/favicon.svg" type="image/svg+xml" />',
    '    <title>Demo Giftware · Candor</title>',
    '    <script type="module" crossorigin src="/assets/index-DsglwELd.js"></script>',
    '    <link rel="stylesheet" crossorigin href="/assets/index--SG89qXz.css">',
    '  </head>',
    '  <body>',
    '    <div id="app"></div>',
    '  </body>',
    '</html>',
    '',
  ].join('\n'),
})
const ASSET = textAnswer('A built script or style sheet, named by its content hash', {
  'text/javascript': '(function(){"use strict";const e=document.getElementById("app");…})();',
  'text/css':
    ':root{--ink:#1a1a1a;--accent:#1d4e89}body{margin:0;font:1rem/1.5 system-ui,sans-serif}…',
})
const ICON = textAnswer('The icon (SVG)', {
  'image/svg+xml':
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><title>Candor</title><rect width="32" height="32" rx="7" fill="#1d4e89"/></svg>',
})
const SDK = textAnswer('The browser SDK: one script that defines the global `Candor`', {
  'text/javascript': '"use strict";var Candor=(()=>{…})();',
})

/**
 * The web pages (storefront demo, privacy center, staff console) and the browser SDK, as static files
 * built by `npm run build`. One HTML file serves every page path; the script picks the page. Fastify's
 * static plugin is not used: its current major needs Node.js 22, and four routes are all this takes.
 */
export const pagesRoutes: FastifyPluginAsync<PagesOptions> = async (app, options) => {
  // The Content-Security-Policy, nosniff, no-referrer and no framing come with every answer
  // (http/security-headers.ts); these routes only say how long a browser may keep what they send.
  pageRoutes(app, options)
  assetRoutes(app, options)
  sdkRoute(app, options)
}

async function sendFile(reply: FastifyReply, file: string, cache: string) {
  let body: Buffer
  try {
    body = await fs.readFile(file)
  } catch {
    throw new AppError('not_found', 'No such file')
  }
  return reply
    .type(TYPES[path.extname(file)] ?? 'application/octet-stream')
    .header('cache-control', cache)
    .send(body)
}

/** The page paths, all answered with the one HTML file (or a 503 saying to build the pages first). */
function pageRoutes(app: FastifyInstance, options: PagesOptions) {
  const page = async (_request: unknown, reply: FastifyReply) => {
    let html: Buffer
    try {
      html = await fs.readFile(path.join(options.webDir, 'index.html'))
    } catch {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web pages are not built yet: run `npm run build` (npm start does it for you).\n')
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html)
  }

  const paths = [
    '/privacy',
    '/privacy/suggestions',
    '/console',
    ...(options.shop ? ['/', '/c/:category', '/p/:item', '/basket'] : []),
  ]
  for (const url of paths) {
    app.get(
      url,
      {
        config: PUBLIC,
        schema: { tags: ['pages'], summary: `Web page (HTML)`, response: { 200: PAGE } },
      },
      page,
    )
  }
}

/** The built scripts and style sheets, and the icon. */
function assetRoutes(app: FastifyInstance, options: PagesOptions) {
  app.get<{ Params: { file: string } }>(
    '/assets/:file',
    {
      config: PUBLIC,
      schema: {
        tags: ['pages'],
        summary: 'A built script or style sheet of the pages',
        response: { 200: ASSET },
      },
    },
    async (request, reply) => {
      const { file } = request.params
      if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.[a-z0-9]+$/.test(file))
        throw new AppError('not_found', 'No such file')
      // Vite names assets by content hash, so they never change under the same name.
      return sendFile(
        reply,
        path.join(options.webDir, 'assets', file),
        'public, max-age=31536000, immutable',
      )
    },
  )

  // The icon (web/public/favicon.svg). Browsers ask for /favicon.ico whatever the page says; an SVG
  // answered there with its own type is shown by every current browser, so one file serves both.
  for (const url of ['/favicon.svg', '/favicon.ico']) {
    app.get(
      url,
      {
        config: PUBLIC,
        schema: {
          tags: ['pages'],
          summary: 'The icon of the pages (SVG)',
          response: { 200: ICON },
        },
      },
      async (_request, reply) =>
        sendFile(reply, path.join(options.webDir, 'favicon.svg'), 'public, max-age=86400'),
    )
  }
}

/** The browser SDK, loaded by shops' own pages. */
function sdkRoute(app: FastifyInstance, options: PagesOptions) {
  app.get(
    '/sdk/candor.min.js',
    {
      config: PUBLIC,
      schema: {
        tags: ['pages'],
        summary: 'The browser SDK (global Candor)',
        response: { 200: SDK },
      },
    },
    async (_request, reply) => {
      // Loaded by <script src> from the shop's own pages: another origin, so not same-origin only.
      reply.header('cross-origin-resource-policy', 'cross-origin')
      return sendFile(reply, path.join(options.sdkDir, 'candor.min.js'), 'public, max-age=300')
    },
  )
}
