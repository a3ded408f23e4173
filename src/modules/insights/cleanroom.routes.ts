import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { withExample } from '../../http/openapi.js'
import { AppError } from '../../lib/errors.js'
import { actorOf } from '../audit/index.js'
import { BLINDED_HEX } from './cleanroom.psi.js'
import {
  CLEANROOM_QUERIES,
  type CleanroomService,
  MAX_UPLOAD_VALUES,
  type PartnerCaller,
} from './cleanroom.service.js'
import { InsightsAnswerSchema } from './insights.js'

/** A blinded value: the message never repeats what was sent. */
const Blinded = z
  .string()
  .regex(BLINDED_HEX, 'must be 64 hex digits (one blinded ristretto255 element)')
const BlindedList = (what: string) =>
  z
    .array(Blinded)
    .min(1, 'must hold at least one value')
    .max(MAX_UPLOAD_VALUES, `must hold at most ${MAX_UPLOAD_VALUES} values`)
    .describe(what)

/** Bodies of up to 100,000 values of 67 bytes each. */
const BODY_LIMIT = 8 * 1024 * 1024

const UPLOAD_ID = z
  .string()
  .regex(/^cru_[a-z0-9]{1,40}$/, 'must be a clean-room upload id (cru_...)')

const EXAMPLE_VALUE = 'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76'

export interface CleanroomRoutesDeps {
  services: { cleanroom: CleanroomService }
}

function partnerOf(request: FastifyRequest): PartnerCaller {
  const caller = request.caller
  if (caller.kind !== 'api_key' || caller.role !== 'partner' || caller.vendor === undefined)
    throw new AppError('forbidden', 'Only a partner key may use the clean room')
  return { keyId: caller.keyId, vendor: caller.vendor, actor: actorOf(request) }
}

const UPLOAD_SCHEMA = {
  tags: ['cleanroom'],
  summary:
    'Step 1 of matching: the partner\u2019s e-mail addresses blinded with its own key (`candor cleanroom blind`). Answers Candor\u2019s consenting shoppers\u2019 addresses blinded with a secret of this upload, shuffled and padded, for the partner to reblind (`candor cleanroom reblind`)',
  body: withExample(
    z.strictObject({ blinded: BlindedList('H(address)^partnerKey, as 64 hex digits each') }),
    { blinded: [EXAMPLE_VALUE] },
  ),
  response: {
    201: withExample(
      z.object({
        uploadId: z.string(),
        expiresAt: z.string(),
        candorBlinded: z.array(z.string()),
      }),
      {
        uploadId: 'cru_mb2x1c9a0001k3j5h7g9',
        expiresAt: '2026-04-01T09:00:00.000Z',
        candorBlinded: [EXAMPLE_VALUE],
      },
    ),
  },
}

const MATCH_SCHEMA = {
  tags: ['cleanroom'],
  summary:
    'Step 2 of matching: candorBlinded reblinded with the partner\u2019s key, in the order received. Candor keeps only which of its shoppers matched and deletes every blinded value; the answer does not say how many (ask the overlap query)',
  params: z.object({ id: UPLOAD_ID }),
  body: withExample(
    z.strictObject({ reblinded: BlindedList('candorBlinded^partnerKey, in the same order') }),
    { reblinded: [EXAMPLE_VALUE] },
  ),
  response: {
    200: withExample(z.object({ uploadId: z.string(), state: z.literal('matched') }), {
      uploadId: 'cru_mb2x1c9a0001k3j5h7g9',
      state: 'matched',
    }),
  },
}

const QUERY_SCHEMA = {
  tags: ['cleanroom'],
  summary:
    'A differentially private figure over a matched upload\u2019s overlap (only shoppers who still grant the clean-room purpose count): its size, purchases by category, or shoppers who bought on or after campaignDate. Spends the partner key\u2019s budget; cells below the charter\u2019s minimum group size are withheld',
  body: withExample(
    z.strictObject({
      uploadId: UPLOAD_ID,
      query: z.enum(CLEANROOM_QUERIES),
      campaignDate: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day, YYYY-MM-DD')
        .optional()
        .describe('conversion: purchases on or after this day (UTC)'),
      epsilon: z.number().positive().max(5).describe('Per query; charged rho = epsilon^2 / 2'),
      dryRun: z.boolean().default(false),
    }),
    { uploadId: 'cru_mb2x1c9a0001k3j5h7g9', query: 'overlap', epsilon: 0.5, dryRun: false },
  ),
  response: {
    200: withExample(InsightsAnswerSchema, {
      dryRun: false,
      cells: [{ group: {}, value: 1284, noiseScale: 2.83, interval: [1278.5, 1289.5] }],
      cost: { rho: 0.125, epsilon: 2.98, delta: 1e-6 },
      budget: {
        keyId: 'key_0f3a9c2e7d1b5a8c',
        periodDays: 30,
        rho: 1,
        spentRho: 0.125,
        remainingRho: 0.875,
        epsilon: 9.31,
        remainingEpsilon: 8.63,
        delta: 1e-6,
        queries: 1,
        renewsAt: '2026-04-01T09:00:00.000Z',
      },
      contribution: { maxRowsPerGroup: 1, maxGroupsPerSubject: 1 },
      sensitivity: { l1: 1, l2: 1 },
      suppressed: 0,
      truncated: false,
    }),
  },
}

/**
 * The clean room for partners: private set intersection in two calls, then aggregate queries over the
 * overlap through the DP engine. Partner keys only; see `cleanroom.service.ts` for the protocol.
 */
export const cleanroomRoutes: FastifyPluginAsyncZod<CleanroomRoutesDeps> = async (
  app,
  { services },
) => {
  const { cleanroom } = services

  app.post(
    '/v1/cleanroom/uploads',
    {
      bodyLimit: BODY_LIMIT,
      config: { access: { roles: ['partner'] }, problems: ['not_found'] },
      schema: UPLOAD_SCHEMA,
    },
    async (request, reply) =>
      reply.code(201).send(await cleanroom.upload(partnerOf(request), request.body.blinded)),
  )

  app.post(
    '/v1/cleanroom/uploads/:id/matches',
    {
      bodyLimit: BODY_LIMIT,
      config: { access: { roles: ['partner'] }, problems: ['not_found', 'conflict'] },
      schema: MATCH_SCHEMA,
    },
    async (request) =>
      cleanroom.match(partnerOf(request), request.params.id, request.body.reblinded),
  )

  app.post(
    '/v1/cleanroom/queries',
    {
      config: {
        access: { roles: ['partner'] },
        problems: ['privacy_budget_exhausted', 'not_found', 'conflict'],
      },
      schema: QUERY_SCHEMA,
    },
    async (request) => cleanroom.query(partnerOf(request), request.body),
  )
}
