/**
 * The privacy center's "Statistics" part, read from the notice (`GET /v1/notice`, its `statistics`):
 * which purposes feed statistics, that those are protected by differential privacy, whether the
 * shopper's own data feeds them now (their choice for each purpose), and per clean-room purpose what
 * the partner gets. A server whose notice has no such part shows none.
 */
import type { ConsentState, Notice } from './api.js'

export function StatisticsSection(props: { notice: Notice; consents: ConsentState | undefined }) {
  const statistics = props.notice.statistics
  if (statistics === undefined) return null
  const allowed = (key: string) => props.consents?.decisions.find((d) => d.purpose === key)?.allowed
  /** Whether the shopper's own data feeds a purpose now, in words (nothing while loading). */
  const yours = (key: string) => {
    const on = allowed(key)
    return on === undefined ? '' : on ? 'Your data counts in it now.' : 'Your data is not used.'
  }
  return (
    <section class="panel" aria-labelledby="statistics-h" id="statistics" data-testid="statistics">
      <h2 id="statistics-h">Statistics</h2>
      <p>{statistics.text}</p>
      {statistics.purposes.length === 0 ? null : (
        <>
          <p>What feeds our statistics:</p>
          <ul data-testid="statistics-purposes">
            {statistics.purposes.map((p) => (
              <li key={p.key} data-purpose={p.key}>
                <strong>{p.title}</strong>
                {yours(p.key) === '' ? null : `. ${yours(p.key)}`}
              </li>
            ))}
          </ul>
          <p class="small">
            Differential privacy means every figure our staff see has random noise added, sized so
            that the answer looks much the same whether or not you are in the data. You can turn
            these purposes off under “Your choices”; what is needed to run the shop stays.
          </p>
        </>
      )}
      {statistics.cleanRoom.map((c) => (
        <div key={c.key} data-clean-room={c.key}>
          <h3>{c.title}</h3>
          <p>{c.text}</p>
          {c.partners.length === 0 ? null : (
            <p class="small">
              Partner{c.partners.length === 1 ? '' : 's'}: {c.partners.join(', ')}. {yours(c.key)}
            </p>
          )}
        </div>
      ))}
    </section>
  )
}
