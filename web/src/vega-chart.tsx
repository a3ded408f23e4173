/**
 * A chart drawn from a Vega-Lite spec (data inline), the same spec the server renders to SVG for the
 * HTML report (`src/modules/reviews/reviews.charts.ts`). Vega, Vega-Lite and vega-interpreter are
 * loaded on first use, as a chunk of their own, so pages without charts never fetch them. Expressions
 * run through vega-interpreter: Vega's default compiles them with `new Function`, which the
 * Content-Security-Policy (no unsafe-eval) forbids.
 */
import { useEffect, useRef, useState } from 'preact/hooks'

async function draw(container: HTMLElement, spec: Record<string, unknown>) {
  const [{ View, parse }, { compile }, { expressionInterpreter }] = await Promise.all([
    import('vega'),
    import('vega-lite'),
    import('vega-interpreter'),
  ])
  const compiled = compile(spec as unknown as Parameters<typeof compile>[0]).spec
  const view = new View(parse(compiled, undefined, { ast: true }), {
    renderer: 'svg',
    container,
    expr: expressionInterpreter,
    hover: false,
  })
  await view.runAsync()
  return view
}

export function VegaChart({
  name,
  title,
  spec,
}: {
  name: string
  title: string
  spec: Record<string, unknown>
}) {
  const box = useRef<HTMLDivElement>(null)
  const [error, setError] = useState<string>()
  useEffect(() => {
    const container = box.current
    if (container === null) return
    let view: { finalize(): void } | undefined
    let live = true
    draw(container, spec)
      .then((v) => {
        if (live) view = v
        else v.finalize()
      })
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)))
    return () => {
      live = false
      view?.finalize()
    }
  }, [spec])
  return (
    <figure class="vega-chart" data-chart={name}>
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={title} />
      {error === undefined ? null : <p class="error">The chart could not be drawn: {error}</p>}
    </figure>
  )
}
