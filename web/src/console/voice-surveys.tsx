/**
 * The surveys in the voice panel (issue 21): every survey staff defined (`GET /v1/surveys`), whether it
 * runs now, its schedule, where it shows, and its answers counted per option of each question, as a small
 * bar chart with the same counts in a table. The route answers counts only: no shopper, no text.
 */
import { useMemo } from 'preact/hooks'
import { formatDate } from '../api.js'
import { type AnswerOf, bearer, client, ok } from '../client.js'
import { VegaChart } from '../vega-chart.js'
import { Status, useLoad } from './load.js'

type Survey = AnswerOf<'/v1/surveys', 'get'>['surveys'][number]
type Question = Survey['questions'][number]

/** Whether a survey runs now, in words: paused, not yet, ended, or running. */
export function surveyStatus(survey: Survey, now: Date): string {
  if (survey.active === false) return 'Paused'
  const { from, until } = survey.schedule ?? {}
  if (from !== undefined && Date.parse(from) > now.getTime()) return 'Scheduled'
  if (until !== undefined && Date.parse(until) <= now.getTime()) return 'Ended'
  return 'Running'
}

/** The options a question is answered with, in the order asked, with their counts (0 where none). */
export function optionCounts(question: Question, counts: Record<string, number> | undefined) {
  const options =
    question.kind === 'choice'
      ? question.options
      : question.kind === 'rating'
        ? ['1', '2', '3', '4', '5']
        : ['answered']
  return options.map((option) => ({ option, answers: counts?.[option] ?? 0 }))
}

function answersSpec(rows: { option: string; answers: number }[]): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 'container',
    height: { step: 22 },
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { values: rows },
    mark: { type: 'bar', color: '#1d4e89' },
    encoding: {
      y: { field: 'option', type: 'nominal', title: null, sort: rows.map((r) => r.option) },
      x: {
        field: 'answers',
        type: 'quantitative',
        title: 'answers',
        axis: { tickMinStep: 1, format: 'd' },
      },
      tooltip: [{ field: 'option' }, { field: 'answers' }],
    },
  }
}

function QuestionAnswers({ survey, question }: { survey: Survey; question: Question }) {
  const rows = optionCounts(question, survey.answers[question.id])
  const spec = useMemo(() => answersSpec(rows), [JSON.stringify(rows)])
  const total = rows.reduce((n, r) => n + r.answers, 0)
  return (
    <div class="survey-question" data-question={question.id}>
      <h5>
        {question.text} <span class="muted">({total} answers)</span>
      </h5>
      {question.kind === 'text' ? null : (
        <VegaChart
          name={`survey-${survey.id}-${question.id}`}
          title={`Answers to “${question.text}”`}
          spec={spec}
        />
      )}
      <table class="stack">
        <thead>
          <tr>
            <th scope="col">{question.kind === 'rating' ? 'Rating' : 'Answer'}</th>
            <th scope="col">Answers</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.option} data-option={r.option}>
              <th scope="row">{r.option === 'answered' ? 'Answered (text)' : r.option}</th>
              <td data-label="Answers">{r.answers}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function SurveyEntry({ survey }: { survey: Survey }) {
  const { from, until } = survey.schedule ?? {}
  return (
    <li class="survey-entry" data-survey={survey.id}>
      <h4>
        {survey.title} <span class="mono small">{survey.id}</span>
      </h4>
      <p>
        <strong data-testid="survey-status">{surveyStatus(survey, new Date())}</strong>:{' '}
        {from === undefined ? 'from the start' : `from ${formatDate(from)}`},{' '}
        {until === undefined ? 'no end' : `until ${formatDate(until)}`}. Shows in{' '}
        {survey.contexts.join(', ')}; asks {Math.round((survey.sampleRate ?? 1) * 100)}% of
        shoppers, not again for {survey.capDays ?? 30} days; purpose{' '}
        <span class="mono">{survey.purpose}</span>.
      </p>
      {survey.questions.map((q) => (
        <QuestionAnswers key={q.id} survey={survey} question={q} />
      ))}
    </li>
  )
}

/** The surveys section; `version` changes when an answer may have arrived, so counts are read again. */
export function SurveysList({ token, version }: { token: string; version: number }) {
  const [surveys, reload] = useLoad(`${token} surveys ${version}`, () =>
    ok(client.GET('/v1/surveys', { headers: bearer(token) })).then((a) => a.surveys),
  )
  return (
    <div data-testid="surveys-list">
      <button type="button" onClick={reload}>
        Read the surveys again
      </button>
      <Status loaded={surveys}>
        {(list) =>
          list.length === 0 ? (
            <p class="muted">No surveys yet.</p>
          ) : (
            <ul class="survey-list">
              {list.map((s) => (
                <SurveyEntry key={s.id} survey={s} />
              ))}
            </ul>
          )
        }
      </Status>
    </div>
  )
}
