import type { Db } from './db.js'

/**
 * The one port through which a module that keeps data takes part in data-subject rights (the rights
 * module) and in retention (the retention module). Each such module's index.ts exports a
 * `<module>DataParticipant(service)` that `satisfies` it, with the parts it has; the composition root
 * (`src/main/compose.ts`) lists them, in erasure order for rights (its `SubjectDataParticipant` needs
 * `exportSubject` and `eraseSubject`) and for retention (`RetentionParticipant` needs `deleteExpired`),
 * and the compiler checks each list. It lives here, below the modules, so that a module names it
 * without importing the rights module. `Rectify` is the part of a rectification the module reads (the
 * rights module's `Rectification` must fit it).
 */
export interface DataParticipant<Rectify = never> {
  /** A short, stable name: also the step name in the erasure job and the section of the export. */
  name: string
  exportSubject?: (subjectId: string) => Promise<unknown>
  /** Deletes everything the module holds on the subject, inside the given transaction; returns counts. */
  eraseSubject?: (executor: Db, subjectId: string) => Promise<Record<string, number>>
  /** Applies the parts of a rectification this module owns. */
  rectify?: (executor: Db, subjectId: string, input: Rectify) => Promise<Record<string, number>>
  /** Removes the subject from trained models at once, for objection to profiling. */
  forgetInModels?: (subjectId: string) => Promise<void>
  /** Deletes the module's records past their expiry, inside the given transaction; returns counts. */
  deleteExpired?: (executor: Db, now: Date) => Promise<Record<string, number>>
  /**
   * Readies storage before retention's transaction begins, in transactions of its own, and deletes
   * nothing (the events module makes the month partitions ahead: `events.partitions.ts`).
   */
  prepareExpiry?: (now: Date) => Promise<void>
}
