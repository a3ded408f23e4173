/**
 * The options of `@fastify/swagger-ui` for `/docs`: Swagger UI as it ships, made to pass axe-core (no
 * serious or critical finding, at desktop and phone sizes) through its supported options only, not a fork:
 * - `uiConfig`: the base layout (no top bar, whose "Explore" box had no label and whose logo no alt
 *   text: there is one document here) and no deep links (a link inside each operation's summary
 *   button made interactive elements nest);
 * - a theme style sheet: darker colours where Swagger UI's text falls below 4.5:1 contrast;
 * - a theme script: names for the few controls Swagger UI leaves unnamed (the examples picker, the
 *   dialog's close button) as they appear.
 */
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui'

/** Colours with at least 4.5:1 contrast against white or against the text they carry. */
const THEME_CSS = `
.swagger-ui .info .title small pre, .swagger-ui .info .title small.version-stamp pre,
.swagger-ui .info .title small { background: #3b4151; color: #fff; }
.swagger-ui .info .title small.version-stamp { background: #2f6b0f; }
.swagger-ui .info a, .swagger-ui .info .link .url, .swagger-ui a.nostyle, .swagger-ui .info__tos a { color: #1d4e89; }
.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #1d5fa6; }
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #1b6e47; }
.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #8a4b00; }
.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #b3261e; }
.swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #136f63; }
.swagger-ui .opblock.opblock-head .opblock-summary-method { background: #6a3fa0; }
.swagger-ui .btn.authorize { color: #1b6e47; border-color: #1b6e47; }
.swagger-ui .btn.authorize svg { fill: #1b6e47; }
.swagger-ui .btn.execute { background: #1d5fa6; border-color: #1d5fa6; }
.swagger-ui .opblock-tag small, .swagger-ui .opblock .opblock-summary-description,
.swagger-ui .parameter__in, .swagger-ui .parameter__type, .swagger-ui .prop-format,
.swagger-ui .response-col_links, .swagger-ui .opblock-description-wrapper p,
.swagger-ui .model-title, .swagger-ui .model .property.primitive, .swagger-ui table thead tr th,
.swagger-ui .response-control-media-type__accept-message, .swagger-ui .renderedMarkdown p { color: #3b4151; }
.swagger-ui .parameter__name.required span, .swagger-ui .parameter__name.required::after { color: #b3261e; }
.swagger-ui .response-control-media-type--accept-controller select { border-color: #1b6e47; }
.swagger-ui .tab li button.tablinks { color: #3b4151; }
.swagger-ui .opblock-body pre.microlight, .swagger-ui .highlight-code > .microlight { background: #1e1e1e !important; color: #fff; }
.swagger-ui .opblock-body pre.microlight span, .swagger-ui .highlight-code > .microlight span { color: #fff !important; }
.swagger-ui .model-toggle::after { opacity: 1; }
.swagger-ui .model-box .model .property, .swagger-ui .model span, .swagger-ui span.model-title__text { color: #3b4151; }
.swagger-ui .model .prop-type { color: #3b3b8f; }
.swagger-ui .model .property.primitive { color: #5a3a00; }
.swagger-ui .scheme-container .schemes-title { color: #3b4151; }
.swagger-ui .btn-done, .swagger-ui .auth-container .btn { color: #1b1b1b; }
.swagger-ui .dialog-ux .modal-ux-header h3 { color: #1b1b1b; }
.swagger-ui .json-schema-2020-12-expand-deep-button { color: #3b4151; }
.swagger-ui .try-out__btn.cancel, .swagger-ui .btn.cancel { color: #b3261e; border-color: #b3261e; }
.swagger-ui .download-contents { background: #3b4151; }
@media (max-width: 600px) {
  /* The responses table's "Links" column (no operation has links) pushed a phone's page sideways. */
  .swagger-ui .response-col_links { display: none; }
  .swagger-ui .responses-table { table-layout: fixed; width: 100%; }
  .swagger-ui .response-col_description { word-break: break-word; }
}
`

/** Names for Swagger UI's unnamed controls, given as they appear (it renders them on demand). */
const THEME_JS = `
(function () {
  function name(root) {
    root.querySelectorAll('select.examples-select-element:not([aria-label])').forEach(function (el) {
      el.setAttribute('aria-label', 'Example');
    });
    root.querySelectorAll('select:not([aria-label]):not([id])').forEach(function (el) {
      var cls = el.className || '';
      el.setAttribute('aria-label', /content-type|media/i.test(cls + ' ' + (el.parentElement && el.parentElement.className)) ? 'Media type' : 'Choice');
    });
    root.querySelectorAll('textarea:not([aria-label])').forEach(function (el) {
      el.setAttribute('aria-label', /body-param/.test(el.className) ? 'Request body' : 'Value');
    });
    // Code samples scroll sideways: a keyboard reaches them too.
    root.querySelectorAll('pre.microlight:not([tabindex]), .curl:not([tabindex])').forEach(function (el) {
      el.setAttribute('tabindex', '0');
    });
    root.querySelectorAll('button.close-modal:not([aria-label])').forEach(function (el) {
      el.setAttribute('aria-label', 'Close');
    });
    root.querySelectorAll('.auth-btn-wrapper button.authorize[aria-label]').forEach(function (el) {
      el.setAttribute('aria-label', el.textContent.trim() || 'Authorize');
    });
  }
  function start() {
    name(document);
    new MutationObserver(function () { name(document); }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`

export const DOCS_UI_OPTIONS: FastifySwaggerUiOptions = {
  routePrefix: '/docs',
  uiConfig: { layout: 'BaseLayout', deepLinking: false },
  theme: {
    title: 'Candor API',
    css: [{ filename: 'candor-docs.css', content: THEME_CSS }],
    js: [{ filename: 'candor-docs.js', content: THEME_JS }],
  },
}
