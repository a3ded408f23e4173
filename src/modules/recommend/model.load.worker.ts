/**
 * The model-loading worker thread's entry (started by `decodeOffThread` in `model.codec.ts`): decodes
 * the stored bytes it was given (moved, not copied) and sends the state back with its arrays moved.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { decodeModelState } from './model.codec.js'
import { transferablesOf } from './training.js'

const {
  masks: _masks,
  offRankings: _rankings,
  ...state
} = decodeModelState((workerData as { bytes: Uint8Array }).bytes)
parentPort!.postMessage(state, transferablesOf(state))
