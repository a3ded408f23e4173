/**
 * The privacy center's "Experiments you are in" part (issue 21): each experiment the shopper is enrolled
 * in, in plain words (what their variant changes for them, or that nothing does in the control group),
 * and how many answers experiments shaped, from `GET /v1/subjects/{ref}/experiments` with their own
 * shopper token. A server without that route shows that it does not offer it yet.
 */
import { api } from './api.js'
import { Status, useLoad } from './console/load.js'
import type { ShopperSession } from './session.js'
import { subjectBase } from './use-privacy-center.js'

interface Enrolment {
  experiment: string
  name: string | null
  status: string | null
  control: boolean
  differs: string | null
  enrolledAt: string
}
interface Enrolments {
  experiments: Enrolment[]
  answersShaped: number
}

const dayOf = (iso: string) =>
  new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' })

export function ExperimentsSection({ session }: { session: ShopperSession }) {
  const [held] = useLoad(`${session.ref} ${session.token} experiments`, () =>
    api<Enrolments>('GET', `${subjectBase(session)}/experiments`, { token: session.token }),
  )
  return (
    <section
      class="panel"
      aria-labelledby="experiments-h"
      id="experiments"
      data-testid="experiments"
    >
      <h2 id="experiments-h">Experiments you are in</h2>
      <p>
        We sometimes compare two versions of how suggestions, questions or offers work, to keep the
        better one. An experiment uses only what you allowed for its purpose; choosing “Off” or
        objecting takes you out of every experiment.
      </p>
      <Status loaded={held}>
        {({ experiments, answersShaped }) =>
          experiments.length === 0 ? (
            <p data-testid="no-experiments">You are in no experiment.</p>
          ) : (
            <>
              <ul data-testid="experiments-in">
                {experiments.map((e) => (
                  <li key={e.experiment} data-experiment={e.experiment}>
                    <strong>{e.name ?? 'An experiment that has since been deleted'}</strong>
                    {e.status === 'stopped' ? ' (finished)' : ''}, since {dayOf(e.enrolledAt)}.{' '}
                    {e.differs ?? ''}
                  </li>
                ))}
              </ul>
              <p class="small" data-testid="answers-shaped">
                {answersShaped === 1
                  ? 'One answer you got was shaped by an experiment.'
                  : `${answersShaped} answers you got were shaped by an experiment.`}
              </p>
            </>
          )
        }
      </Status>
    </section>
  )
}
