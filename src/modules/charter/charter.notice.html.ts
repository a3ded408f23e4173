/**
 * The privacy notice as an HTML page (`GET /v1/notice` with `Accept: text/html`): one `h1`, a heading
 * per group and purpose, lists for lists, the page language set, every value escaped, no scripts. Kept
 * apart from `charter.notice.ts`, which builds the notice as data.
 */
import { MODEL_CARD_PAGE, type Notice, type NoticePurpose } from './charter.notice.js'

/** Escape text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

function list(items: readonly string[]): string {
  return `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`
}

function purposeHtml(p: NoticePurpose): string {
  const id = `purpose-${p.key.replaceAll('.', '-')}`
  const shared =
    p.itCosts.sharedWith.length > 0
      ? `<p>Shared with: ${escapeHtml(p.itCosts.sharedWith.join(', '))}.</p>`
      : ''
  const sale = p.saleOrSharing
    ? '<p><strong>This shares your data for advertising.</strong> Global Privacy Control says no to it.</p>'
    : ''
  const places =
    p.whereYouLive === undefined
      ? ''
      : `<ul>${p.whereYouLive.map((w) => `<li>${escapeHtml(w.place)}: ${escapeHtml(w.rule)}</li>`).join('')}</ul>`
  return [
    `<section class="purpose" aria-labelledby="${escapeHtml(id)}">`,
    `<h3 id="${escapeHtml(id)}">${escapeHtml(p.title)}</h3>`,
    `<h4>What you get</h4><p>${escapeHtml(p.youGet)}</p>`,
    `<h4>What it costs you</h4>`,
    `<p>We use:</p>${list(p.itCosts.data)}`,
    `<p>${escapeHtml(p.itCosts.keptFor)}</p>`,
    shared,
    sale,
    p.federated === undefined
      ? ''
      : `<h4>What your browser sends, and the noise that protects you</h4><p>${escapeHtml(p.federated)}</p>`,
    `<h4>Your choice</h4><p>${escapeHtml(p.yourChoice)}</p>`,
    places,
    '</section>',
  ].join('\n')
}

/**
 * A complete, accessible HTML page for a notice: one `h1`, a heading per group and purpose, lists for lists,
 * the page language set, every value escaped, no scripts.
 */
export function renderNoticeHtml(notice: Notice): string {
  const style = [
    'body{font:1.05rem/1.6 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}',
    'main{max-width:42rem;margin:0 auto;padding:1.5rem}',
    'h1{font-size:1.8rem}h2{margin-top:2.5rem;border-bottom:2px solid #444}h4{margin:1rem 0 .25rem}',
    '.purpose{border-left:4px solid #2b6cb0;padding-left:1rem;margin:1.5rem 0}',
    'code{word-break:break-all}',
  ].join('')
  const groups = notice.groups
    .map((g) =>
      [
        `<section aria-labelledby="group-${g.id}">`,
        `<h2 id="group-${g.id}">${escapeHtml(g.heading)}</h2>`,
        `<p>${escapeHtml(g.intro)}</p>`,
        ...g.purposes.map(purposeHtml),
        '</section>',
      ].join('\n'),
    )
    .join('\n')
  const vendors = notice.sharedWith
    .map(
      (v) =>
        `<li><strong>${escapeHtml(v.name)}</strong> (${escapeHtml(v.country)}). ${escapeHtml(v.role)} For: ${escapeHtml(v.purposes.join(', '))}.</li>`,
    )
    .join('')
  const address =
    notice.controller.address === undefined ? '' : `<br>${escapeHtml(notice.controller.address)}`
  return `<!doctype html>
<html lang="${escapeHtml(notice.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(notice.title)}</title>
<style>${style}</style>
</head>
<body>
<main>
<h1>${escapeHtml(notice.title)}</h1>
${notice.summary.map((s) => `<p>${escapeHtml(s)}</p>`).join('\n')}
<section aria-labelledby="levels">
<h2 id="levels">How much we personalize</h2>
<p>You choose. You can change it at any time.</p>
<dl>${notice.levels.map((l) => `<dt>${escapeHtml(l.title)}</dt><dd>${escapeHtml(l.text)}</dd>`).join('')}</dl>
<p><a href="${MODEL_CARD_PAGE}">How suggestions work</a>: the data each level uses, how suggestions are made, how well they work and where they may be biased.</p>
</section>
${groups}
<section aria-labelledby="statistics">
<h2 id="statistics">Statistics</h2>
<p>${escapeHtml(notice.statistics.text)}</p>
${notice.statistics.cleanRoom.map((c) => `<h3>${escapeHtml(c.title)}</h3>\n<p>${escapeHtml(c.text)}</p>`).join('\n')}
</section>
<section aria-labelledby="never">
<h2 id="never">What we never do</h2>
<p>${escapeHtml(notice.neverInferred.intro)}</p>
${list(notice.neverInferred.items)}
</section>
<section aria-labelledby="limits">
<h2 id="limits">How often we contact you</h2>
<p>${escapeHtml(notice.contactLimits.intro)}</p>
${list(notice.contactLimits.items)}
</section>
<section aria-labelledby="shared">
<h2 id="shared">Who else gets your data</h2>
${vendors === '' ? '<p>Nobody.</p>' : `<ul>${vendors}</ul>`}
<p>${escapeHtml(notice.gpc)}</p>
</section>
<section aria-labelledby="rights">
<h2 id="rights">Your rights</h2>
${list(notice.yourRights)}
</section>
<footer>
<p>${escapeHtml(notice.controller.name)}, <a href="mailto:${escapeHtml(notice.controller.contact)}">${escapeHtml(notice.controller.contact)}</a>${address}</p>
<p>Notice version: <code>${escapeHtml(notice.version)}</code></p>
</footer>
</main>
</body>
</html>
`
}
