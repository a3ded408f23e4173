import cliProgress from 'cli-progress'

export interface Progress {
  update(done: number, total: number): void
  stop(): void
}

/**
 * A progress bar on stderr for long commands (imports, training, key rotation). Where stderr is not a
 * terminal (CI, pipes) it prints a line every 10% instead of redrawing.
 */
export function createProgressBar(label: string): Progress {
  if (!process.stderr.isTTY) {
    let lastDecile = -1
    return {
      update(done, total) {
        const decile = total === 0 ? 10 : Math.floor((done / total) * 10)
        if (decile !== lastDecile) {
          lastDecile = decile
          process.stderr.write(`${label}: ${done}/${total}\n`)
        }
      },
      stop() {},
    }
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta}s`,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, done)
        started = true
      } else {
        bar.setTotal(total)
        bar.update(done)
      }
    },
    stop() {
      if (started) bar.stop()
    },
  }
}
