import { describe, expect, expectTypeOf, it } from 'vitest'
import type {
  EngineParams,
  LevelFigures,
  TuningReport,
} from '../src/modules/recommend/engine/index.js'
import {
  QualityAnswerSchema,
  type TuningReportJson,
  TuningReportSchema,
} from '../src/modules/recommend/recommend.js'
import { createRecommendRepository } from '../src/modules/recommend/recommend.repository.js'
import { insertTrainingRun, tunedReport } from './helpers/training-runs.js'
import { DIALECTS, createTestContext } from './helpers/test-context.js'

type Json = TuningReportJson
type Params = NonNullable<Json['params']>

describe("the API's schema of a training run's tuning report", () => {
  it("names every field of the engine's TuningReport, so none is dropped from the answer", () => {
    // Checked by the compiler: a field added to the engine's report must be documented in recommend.ts.
    expectTypeOf<keyof Json>().toEqualTypeOf<keyof TuningReport>()
    expectTypeOf<keyof NonNullable<Json['validation']>>().toEqualTypeOf<
      keyof NonNullable<TuningReport['validation']>
    >()
    expectTypeOf<keyof NonNullable<Json['figures']>>().toEqualTypeOf<
      keyof NonNullable<TuningReport['figures']>
    >()
    type JsonFigures = NonNullable<NonNullable<Json['figures']>['personal']>
    expectTypeOf<keyof JsonFigures>().toEqualTypeOf<keyof LevelFigures>()
    expectTypeOf<keyof Params>().toEqualTypeOf<keyof EngineParams>()
    expectTypeOf<keyof NonNullable<Params['item']>>().toEqualTypeOf<keyof EngineParams['item']>()
    expectTypeOf<keyof NonNullable<Params['personal']>>().toEqualTypeOf<
      keyof EngineParams['personal']
    >()
    expectTypeOf<keyof NonNullable<Params['session']>>().toEqualTypeOf<
      keyof EngineParams['session']
    >()

    // And at run time: a full report passes unchanged (zod drops what a schema does not name).
    const report = tunedReport(new Date('2026-03-02T09:00:00Z'), 0.31)
    expect(TuningReportSchema.parse(report)).toEqual(report)
    // Runs stored before the report hold {}; a figure that could not be measured is stored as null.
    expect(TuningReportSchema.parse({})).toEqual({})
    const unmeasured = { tuned: true, figures: { personal: { recall20: 0.2, newRecall20: null } } }
    expect(TuningReportSchema.parse(unmeasured)).toEqual(unmeasured)
  })
})

for (const dialect of DIALECTS) {
  describe(`training runs on ${dialect}`, () => {
    it('come back in `runs` of GET /v1/recommendations/quality, oldest first, each with its report', async () => {
      const ctx = await createTestContext(dialect)
      try {
        const quality = async () => {
          const r = await ctx.request({
            method: 'GET',
            url: '/v1/recommendations/quality',
            as: 'analyst',
          })
          expect(r.statusCode, r.body).toBe(200)
          return QualityAnswerSchema.parse(r.json())
        }
        expect(await quality()).toMatchObject({ run: null, runs: [] })

        const train = async () => {
          const r = await ctx.request({ method: 'POST', url: '/v1/admin/train', as: 'admin' })
          expect(r.statusCode, r.body).toBe(200)
          ctx.clock.advance(60_000)
          return r.json<{ id: string; trainedAt: string }>()
        }
        const first = await train()
        const second = await train()
        let answer = await quality()
        expect(answer.runs.map((r) => r.id)).toEqual([first.id, second.id])
        expect(answer.runs[0]).toEqual(first)
        expect(answer.run).toEqual(second)

        // A run with a full tuning report (what `train()` stores once tuning runs) comes back whole.
        const report = tunedReport(ctx.clock.now(), 0.34)
        const tuned = await insertTrainingRun(ctx, report)
        answer = await quality()
        expect(answer.runs.map((r) => r.id)).toEqual([first.id, second.id, tuned.id])
        expect(answer.run).toEqual({ ...tuned, quality: report })
        expect(answer.runs[2]).toEqual(answer.run)

        // The repository gives the most recent `limit` runs, still oldest first.
        const repo = createRecommendRepository(ctx.storage.changes)
        const lastTwo = await repo.listTrainingRuns(ctx.storage.db, 2)
        expect(lastTwo.map((r) => r.id)).toEqual([second.id, tuned.id])
        expect(lastTwo[1]!.quality).toEqual(report)
      } finally {
        await ctx.close()
      }
    })
  })
}
