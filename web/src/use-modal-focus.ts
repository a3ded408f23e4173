/**
 * A modal dialog's focus: it moves to the dialog's heading when the dialog appears, Tab and Shift+Tab stay
 * inside it, Escape calls `onEscape` (when given), and the shop behind it (`#shop`) is inert meanwhile. When
 * the dialog goes, the focus returns where it was.
 */
import type { RefObject } from 'preact'
import { useLayoutEffect } from 'preact/hooks'

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), [tabindex]:not([tabindex="-1"])'

/** Keeps Tab inside `node`: from its last item to its first, and back with Shift. */
function keepTabInside(node: HTMLElement, event: KeyboardEvent) {
  const items = [...node.querySelectorAll<HTMLElement>(FOCUSABLE)]
  const first = items[0]
  const last = items[items.length - 1]
  if (first === undefined || last === undefined) return
  const active = document.activeElement
  if (event.shiftKey && (active === first || !node.contains(active))) {
    event.preventDefault()
    last.focus()
  } else if (!event.shiftKey && (active === last || !node.contains(active))) {
    event.preventDefault()
    first.focus()
  }
}

export function useModalFocus(
  dialog: RefObject<HTMLElement | null>,
  onEscape: (() => void) | undefined,
): void {
  // A layout effect: the focus moves in and the page behind goes inert in the same task as the dialog
  // appears, so no keystroke can reach the page in between (an effect ran a frame later).
  useLayoutEffect(() => {
    const node = dialog.current
    if (node === null) return
    const previous = document.activeElement as HTMLElement | null
    node.querySelector<HTMLElement>('h2')?.focus()
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && onEscape !== undefined) {
        event.preventDefault()
        onEscape()
        return
      }
      if (event.key === 'Tab') keepTabInside(node, event)
    }
    document.addEventListener('keydown', onKey, true)
    // Whatever else is on the page cannot be reached while the dialog is open.
    const app = document.getElementById('shop')
    app?.setAttribute('inert', '')
    return () => {
      document.removeEventListener('keydown', onKey, true)
      app?.removeAttribute('inert')
      previous?.focus?.()
    }
  }, [])
}
