/**
 * The demo shop's survey slot (issue 21): under the recommendation row, the survey Candor says to show
 * this shopper now ("Was this suggestion helpful?"), rendered and answered through the browser SDK's
 * `showSurvey`. Empty when Candor shows none (the purpose not allowed, answered, or asked this month).
 */
import { useEffect, useRef } from 'preact/hooks'
import { showSurvey } from '../../sdk/src/candor.js'

export function SurveySlot(props: {
  token: string
  shopper: string
  /** False while the first privacy choice is asked. */
  ready: boolean
  /** Changes when the shopper's choices do: the slot asks again. */
  version: number
}) {
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const container = ref.current
    if (!props.ready || container === null) return
    // No survey is no loss: the slot simply stays empty.
    showSurvey(container, {
      subject: props.shopper,
      token: props.token,
      context: 'recommendations',
    }).catch(() => container.replaceChildren())
  }, [props.ready, props.version, props.shopper])
  return <div class="survey-slot" data-testid="survey-slot" ref={ref} />
}
