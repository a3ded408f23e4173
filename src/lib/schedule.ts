/**
 * Runs `task` every `intervalMs` until stopped: runs never overlap, a failure goes to `onError` and the
 * next tick tries again, and the timer does not keep the process alive. `runNow` starts one at once.
 */
export function startSchedule(
  task: () => Promise<unknown>,
  intervalMs: number,
  hooks: { onError?: (error: unknown) => void } = {},
): { runNow(): Promise<void>; stop(): Promise<void> } {
  let running: Promise<void> | undefined
  const tick = (): Promise<void> => {
    running ??= task()
      .then(() => undefined)
      .catch((error: unknown) => hooks.onError?.(error))
      .finally(() => {
        running = undefined
      })
    return running
  }
  const timer = setInterval(() => void tick(), intervalMs)
  timer.unref()
  return {
    runNow: tick,
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
