/**
 * Product pictures for the demo shop, drawn here rather than fetched: the UCI sample has no images, and the
 * pages load nothing from other sites. Each picture is an SVG made only from the product's category and
 * title, so the same product always looks the same: the title picks the object (a heart, a bag, a candle
 * ...; else the category's), its colour (a colour word in the title, else one from a hash) and a pattern.
 */
import type { Product } from './api.js'

type Shape =
  | 'heart'
  | 'bottle'
  | 'bag'
  | 'candle'
  | 'cake'
  | 'mug'
  | 'clock'
  | 'sign'
  | 'tree'
  | 'bunting'
  | 'card'
  | 'gift'

/** Words in a title that say what the object is, first match wins. */
const SHAPE_WORDS: [RegExp, Shape][] = [
  [/\bheart/i, 'heart'],
  [/bottle/i, 'bottle'],
  [/\bbag|tote|purse/i, 'bag'],
  [/t-light|candle|lantern|light/i, 'candle'],
  [/cake|baking|cookie/i, 'cake'],
  [/\bmug|\bcup|\btea\b|\bjam\b|\bjar\b/i, 'mug'],
  [/clock/i, 'clock'],
  [/sign|doormat|chalkboard/i, 'sign'],
  [/christmas|\btree|\bstar\b/i, 'tree'],
  [/bunting|\bflag|party/i, 'bunting'],
  [/\bcard|wrap|paper|notebook/i, 'card'],
]

const CATEGORY: Record<string, { shape: Shape; background: string }> = {
  home: { shape: 'gift', background: '#e9e4f2' },
  kitchen: { shape: 'mug', background: '#e1eaf5' },
  lights: { shape: 'candle', background: '#f6ecd9' },
  bags: { shape: 'bag', background: '#dfeee8' },
  paper: { shape: 'card', background: '#efe3ef' },
  christmas: { shape: 'tree', background: '#f3dede' },
  toys: { shape: 'bunting', background: '#f7e6d6' },
}

const COLOUR_WORDS: [RegExp, string][] = [
  [/\bred\b|retrospot/i, '#c0392b'],
  [/\bpink\b/i, '#e27396'],
  [/\bblue\b/i, '#3a6ea5'],
  [/\bgreen\b/i, '#3f8f5a'],
  [/\bwhite\b/i, '#fbfbf8'],
  [/\bivory\b|\bcream\b/i, '#f3ead2'],
  [/\bblack\b/i, '#2d2d2d'],
  [/\bgold\b/i, '#c9a227'],
  [/\bsilver\b|\bzinc\b|\bmetal\b/i, '#a7adb4'],
  [/\bwooden\b|\bwood\b|\bwicker\b/i, '#a47148'],
]
const PALETTE = ['#c0392b', '#3a6ea5', '#3f8f5a', '#d68910', '#8e44ad', '#16877e', '#b9575e']

/** FNV-1a: a small, stable hash of the title. */
function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

function shapeOf(product: Product): Shape {
  for (const [pattern, shape] of SHAPE_WORDS) if (pattern.test(product.title)) return shape
  return CATEGORY[product.category]?.shape ?? 'gift'
}

function colourOf(product: Product, h: number): string {
  for (const [pattern, colour] of COLOUR_WORDS) if (pattern.test(product.title)) return colour
  return PALETTE[h % PALETTE.length]!
}

/** The object, drawn around (80, 64) in a 160 x 120 box; `c` is its colour, `s` its stroke. */
function drawShape(shape: Shape, c: string, s: string): string {
  const line = `stroke="${s}" stroke-width="3" stroke-linejoin="round"`
  switch (shape) {
    case 'heart':
      return `<path d="M80 98 C40 72 42 40 62 38 C72 37 78 44 80 50 C82 44 88 37 98 38 C118 40 120 72 80 98Z" fill="${c}" ${line}/>`
    case 'bottle':
      return `<rect x="70" y="24" width="20" height="14" rx="3" fill="${s}"/><rect x="54" y="36" width="52" height="66" rx="18" fill="${c}" ${line}/><path d="M62 58h36M62 70h36M62 82h36" stroke="${s}" stroke-width="2" opacity=".35"/>`
    case 'bag':
      return `<path d="M66 46 C66 26 94 26 94 46" fill="none" stroke="${s}" stroke-width="4"/><path d="M50 46h60l-6 56h-48Z" fill="${c}" ${line}/>`
    case 'candle':
      return `<path d="M80 20 C88 32 88 40 80 44 C72 40 72 32 80 20Z" fill="#f5b041" stroke="#b9770e" stroke-width="2"/><rect x="64" y="46" width="32" height="56" rx="4" fill="${c}" ${line}/><ellipse cx="80" cy="104" rx="34" ry="6" fill="${s}" opacity=".3"/>`
    case 'cake':
      return `<rect x="46" y="66" width="68" height="30" rx="4" fill="${c}" ${line}/><rect x="56" y="44" width="48" height="24" rx="4" fill="${c}" ${line}/><path d="M40 98h80" stroke="${s}" stroke-width="4"/><circle cx="80" cy="38" r="5" fill="#c0392b"/>`
    case 'mug':
      return `<path d="M104 54 C122 54 122 84 104 84" fill="none" stroke="${s}" stroke-width="6"/><rect x="50" y="42" width="56" height="58" rx="8" fill="${c}" ${line}/>`
    case 'clock':
      return `<circle cx="80" cy="64" r="38" fill="${c}" ${line}/><circle cx="80" cy="64" r="30" fill="#fff" opacity=".85"/><path d="M80 64V44M80 64l14 8" stroke="${s}" stroke-width="4" stroke-linecap="round"/>`
    case 'sign':
      return `<path d="M62 34l18-12 18 12" fill="none" stroke="${s}" stroke-width="3"/><rect x="34" y="34" width="92" height="60" rx="6" fill="${c}" ${line}/><path d="M48 56h64M48 70h46" stroke="${s}" stroke-width="4" stroke-linecap="round" opacity=".55"/>`
    case 'tree':
      return `<path d="M80 18l30 44h-14l22 32H42l22-32H50Z" fill="${c}" ${line}/><rect x="72" y="94" width="16" height="12" fill="${s}"/><circle cx="80" cy="18" r="6" fill="#f5b041"/>`
    case 'bunting':
      return `<path d="M20 34 Q80 54 140 34" fill="none" stroke="${s}" stroke-width="3"/><path d="M30 38l10 30 10-27Z M62 45l10 30 10-30Z M94 44l10 30 10-27Z" fill="${c}" ${line}/>`
    case 'card':
      return `<rect x="40" y="32" width="80" height="64" rx="4" fill="${c}" ${line}/><path d="M40 36l40 32 40-32" fill="none" stroke="${s}" stroke-width="3"/>`
    case 'gift':
      return `<rect x="44" y="50" width="72" height="50" rx="4" fill="${c}" ${line}/><rect x="40" y="40" width="80" height="14" rx="3" fill="${c}" ${line}/><path d="M80 40v60" stroke="${s}" stroke-width="6"/><path d="M80 40 C66 24 58 36 80 40 C102 36 94 24 80 40Z" fill="none" stroke="${s}" stroke-width="3"/>`
  }
}

/** The background pattern: spots (retrospot, polkadot or by hash), stripes, or plain. */
function drawPattern(product: Product, h: number): string {
  const kind = /spot|polka|dot/i.test(product.title) ? 0 : (h >>> 8) % 3
  if (kind === 0) {
    const dots: string[] = []
    for (let y = 10; y < 120; y += 20)
      for (let x = (y / 10) % 4 === 1 ? 10 : 20; x < 160; x += 20)
        dots.push(`<circle cx="${x}" cy="${y}" r="2.5"/>`)
    return `<g fill="#000" opacity=".07">${dots.join('')}</g>`
  }
  if (kind === 1) {
    const stripes: string[] = []
    for (let x = -120; x < 160; x += 18) stripes.push(`<path d="M${x} 120L${x + 120} 0"/>`)
    return `<g stroke="#000" stroke-width="6" opacity=".05">${stripes.join('')}</g>`
  }
  return ''
}

/** The product's picture as an SVG document. */
export function productSvg(product: Product): string {
  const h = hash(`${product.category}|${product.title}`)
  const background = CATEGORY[product.category]?.background ?? '#eceff3'
  const colour = colourOf(product, h)
  const stroke = colour === '#2d2d2d' ? '#000' : '#3b3b3b'
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120" width="160" height="120">` +
    `<rect width="160" height="120" fill="${background}"/>` +
    drawPattern(product, h) +
    `<ellipse cx="80" cy="106" rx="46" ry="6" fill="#000" opacity=".08"/>` +
    drawShape(shapeOf(product), colour, stroke) +
    `</svg>`
  )
}

/** The picture as a `data:` URL, for an `<img>` (the pages' CSP allows `data:` images). */
export function productPictureUrl(product: Product): string {
  return `data:image/svg+xml,${encodeURIComponent(productSvg(product))}`
}
