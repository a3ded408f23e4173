/**
 * The shapes of the console's recommendation quality (from the OpenAPI document) and how its figures are
 * written, shared by the section (training-quality.tsx) and its chart (recall-chart.tsx).
 */
import type { AnswerOf } from './client.js'

/** The answer of `GET /v1/recommendations/quality`, as the OpenAPI document describes it. */
export type QualityAnswer = AnswerOf<'/v1/recommendations/quality', 'get'>
/** One training run with its tuning report. */
export type TrainingRun = NonNullable<QualityAnswer['run']>
/** A run's `quality`: the engine's tuning report, or `{}` for runs stored before it existed. */
export type TuningReport = TrainingRun['quality']
/** One level's figures on the held-out period (null: nothing to measure it on). */
export type LevelFigures = NonNullable<NonNullable<TuningReport['figures']>['personal']>
export type FigureKey = keyof NonNullable<TuningReport['figures']>

/** A figure to three decimals, or a dash when there is none. */
export const figure = (value: number | null | undefined) =>
  typeof value === 'number' && Number.isFinite(value) ? value.toFixed(3) : '–'
