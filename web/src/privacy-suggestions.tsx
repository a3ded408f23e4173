/**
 * The privacy center's "How suggestions work" page (`/privacy/suggestions`), the model card
 * (`GET /v1/model-card`, public like the notice): the data each level uses, the algorithm in plain
 * words, how well the last training did on shopping held back from it, the latest fairness findings and
 * known limits, and how to turn suggestions off. Needs no shopper token: it says nothing about anyone.
 */
import { formatDate } from './api.js'
import { type AnswerOf, client, ok } from './client.js'
import { Status, useLoad } from './console/load.js'
import './console/reports.css'
import './privacy.css'

type ModelCard = AnswerOf<'/v1/model-card', 'get'>

const percent = (x: number) => `${Math.round(x * 1000) / 10}%`
const SEVERITY_WORDS: Record<string, string> = {
  problem: 'Problem',
  warning: 'Warning',
  info: 'Note',
  ok: 'OK',
}

function ListSection(props: { id: string; heading: string; items: string[] }) {
  return (
    <section class="panel" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.heading}</h2>
      <ul>
        {props.items.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ul>
    </section>
  )
}

function LevelsSection({ levels }: { levels: ModelCard['levels'] }) {
  return (
    <section class="panel" aria-labelledby="levels-h" data-testid="card-levels">
      <h2 id="levels-h">What each level uses</h2>
      <table class="stack">
        <thead>
          <tr>
            <th scope="col">Level</th>
            <th scope="col">Uses</th>
            <th scope="col">Kept</th>
          </tr>
        </thead>
        <tbody>
          {levels.map((l) => (
            <tr key={l.level} data-level={l.level}>
              <th scope="row">{l.title}</th>
              <td data-label="Uses">{l.uses.join(', ')}</td>
              <td data-label="Kept">{l.kept}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function TrainingFigures({ training }: { training: NonNullable<ModelCard['training']> }) {
  if (training.figures.length === 0)
    return <p>Too little shopping was held back to measure it this time.</p>
  return (
    <table class="stack">
      <thead>
        <tr>
          <th scope="col">Suggestions</th>
          <th scope="col">Recall@20</th>
          <th scope="col">NDCG@10</th>
        </tr>
      </thead>
      <tbody>
        {training.figures.map((f) => (
          <tr key={f.level}>
            <th scope="row">{f.level}</th>
            <td data-label="Recall@20">{percent(f.recallAt20)}</td>
            <td data-label="NDCG@10">{percent(f.ndcgAt10)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function TrainingSection({ training }: { training: ModelCard['training'] }) {
  return (
    <section class="panel" aria-labelledby="well-h" data-testid="card-training">
      <h2 id="well-h">How well it works</h2>
      {training === null ? (
        <p>The model has not been trained yet.</p>
      ) : (
        <>
          <p>
            Last trained on {formatDate(training.trainedAt)} from{' '}
            {training.events.toLocaleString('en-GB')} events of{' '}
            {training.shoppers.toLocaleString('en-GB')} shoppers who allowed it.{' '}
            {training.explained}
          </p>
          <TrainingFigures training={training} />
        </>
      )}
    </section>
  )
}

function FairnessSection({ fairness }: { fairness: ModelCard['fairness'] }) {
  return (
    <section class="panel" aria-labelledby="fair-h" data-testid="card-fairness">
      <h2 id="fair-h">Fairness: what our latest audit found</h2>
      {fairness === null ? (
        <p>No audit has been run yet.</p>
      ) : (
        <>
          <p>Audit of {formatDate(fairness.reportedAt)}.</p>
          <ul>
            {fairness.findings.map((f, i) => (
              <li key={`${f.check}-${i}`}>
                <span class={`sev sev-${f.severity}`}>{SEVERITY_WORDS[f.severity]}</span> {f.title}
              </li>
            ))}
          </ul>
          {fairness.figures.length === 0 ? null : (
            <dl class="figures">
              {fairness.figures.map((f) => (
                <div key={f.name}>
                  <dt>{f.label}</dt>
                  <dd>{Math.round(f.value * 1000) / 1000}</dd>
                </div>
              ))}
            </dl>
          )}
        </>
      )}
    </section>
  )
}

function Card({ card }: { card: ModelCard }) {
  return (
    <>
      <LevelsSection levels={card.levels} />
      <ListSection id="how-h" heading="How suggestions are made" items={card.algorithm} />
      <TrainingSection training={card.training} />
      <FairnessSection fairness={card.fairness} />
      <ListSection id="limits-h" heading="Known limits" items={card.limits} />
      <ListSection id="off-h" heading="How to turn it off" items={card.turnOff} />
    </>
  )
}

export function SuggestionsPage() {
  const [card] = useLoad('model-card', () => ok(client.GET('/v1/model-card')))
  return (
    <main class="page privacy" data-testid="suggestions-page">
      <p class="crumbs">
        <a href={`/privacy${location.hash}`}>Back to your privacy center</a>
      </p>
      <h1>How suggestions work</h1>
      <p>
        What our product suggestions use, how they are made, how well they work, where they may be
        unfair and how to turn them off.
      </p>
      <Status loaded={card}>{(value) => <Card card={value} />}</Status>
    </main>
  )
}
