/**
 * The privacy center's frame: each section of the page, and the line where the answer to an action shows.
 * The answer shows in the section where the shopper acted, not far above it.
 */

/** Where the answer to an action shows: in the section where the shopper acted, not far above it. */
export type NoteAt =
  'top' | 'holds' | 'level' | 'why' | 'consents' | 'requests' | 'erase' | 'notice'
export interface Note {
  at: NoteAt
  text: string
  /** Move the focus to the note (when the form the shopper was in has just gone). */
  focus?: boolean
}
/** Shows `text` in the section `at`; `focus` moves the focus to it. */
export type Say = (at: NoteAt, text: string, focus?: boolean) => void

export function StatusLine(props: { at: NoteAt; note: Note | undefined }) {
  return (
    <p role="status" class="status-line" id={`${props.at}-note`} tabIndex={-1}>
      {props.note?.at === props.at ? props.note.text : ''}
    </p>
  )
}

export function Section(props: {
  id: Exclude<NoteAt, 'top'>
  title: string
  note: Note | undefined
  children: preact.ComponentChildren
}) {
  return (
    <section class="panel" aria-labelledby={`${props.id}-h`} id={props.id}>
      <h2 id={`${props.id}-h`}>{props.title}</h2>
      {props.children}
      <StatusLine at={props.id} note={props.note} />
    </section>
  )
}
