// @ts-check
/**
 * The import rules `npm run lint` checks with dependency-cruiser (README, "Architecture"):
 * - no import cycle in src/ (run-time imports: an `import type` is erased from the built code);
 * - the composition root (src/main/) and the app (src/app.ts) are imported by nothing in the modules,
 *   src/lib/, src/storage/ or src/http/, so a cycle cannot run through them even by types;
 * - a module is reached from outside only through its `index.ts` (STYLE.md: "A module reaches another
 *   only through its index.ts"). Tests and benchmarks may reach into a module's internals;
 * - pricing never imports a module that knows a shopper (`pricing-never-personal`, issue 24).
 * @type {import('dependency-cruiser').IConfiguration}
 */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle in src/ (through run-time imports).',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'composition-root-on-top',
      severity: 'error',
      comment:
        'Only src/main/ composes the modules; modules, lib, storage and http never import it or the app (not even for a type).',
      from: { path: '^src/(modules|lib|storage|http)/' },
      to: { path: '^src/(main/|app\\.ts$|services\\.ts$)' },
    },
    {
      name: 'module-index-only-between-modules',
      severity: 'error',
      comment: 'A module reaches another module only through its index.ts.',
      from: { path: '^src/modules/([^/]+)/', pathNot: '\\.test\\.ts$' },
      to: {
        path: '^src/modules/',
        pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'module-index-only-from-outside',
      severity: 'error',
      comment: 'Code outside src/modules/ reaches a module only through its index.ts.',
      from: { pathNot: ['^src/modules/', '^test/', '^bench/', '\\.test\\.ts$'] },
      to: { path: '^src/modules/[^/]+/', pathNot: '^src/modules/[^/]+/index\\.ts$' },
    },
    {
      name: 'pricing-never-personal',
      severity: 'error',
      comment:
        'Pricing cannot see a person (issue 24): src/modules/pricing/ imports no module that knows a subject, a visit or their choices (identity, consent, session, rights, settings, events, recommend), not even for a type. Demand reaches it as per-item totals through its DemandSource port.',
      from: { path: '^src/modules/pricing/' },
      to: { path: '^src/modules/(identity|consent|session|rights|settings|events|recommend)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^node_modules/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
}
