/**
 * The training worker thread's entry (started by `trainOffThread`): runs the job it was given as its
 * `workerData`, reports progress, and sends the result back with its arrays moved, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads'
import {
  type TrainingJob,
  type TrainingMessage,
  runTrainingJob,
  transferablesOf,
} from './training.js'

const port = parentPort!
const post = (message: TrainingMessage, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer)
const result = runTrainingJob(workerData as TrainingJob, (done, total) =>
  post({ kind: 'progress', done, total }),
)
post({ kind: 'result', result }, transferablesOf(result))
