import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { withExample } from '../../http/openapi.js'
import type { FederatedService } from './federated.service.js'
import {
  ContributionBatchSchema,
  ContributionReceiptSchema,
  FederatedTermsSchema,
} from './federated.js'

export interface FederatedRoutesDeps {
  federated: FederatedService
}

const TERMS_EXAMPLE = {
  purpose: 'train_ai_system.federated',
  epsilonPerContribution: 4,
  epsilonPerDay: 4,
  reportsPerDay: 1,
  sketch: { m: 1024, k: 16 },
}
const BATCH_EXAMPLE = {
  epsilon: 4,
  sketch: { m: 1024, k: 16 },
  reports: [{ row: 7, bits: 'A'.repeat(171) + '=' }],
}

/** Federated learning with local differential privacy: the terms, and anonymous contributions. */
export const federatedRoutes: FastifyPluginAsyncZod<{ services: FederatedRoutesDeps }> = async (
  app,
  { services },
) => {
  const { federated } = services
  app.get(
    '/v1/federated/terms',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['federated'],
        summary: "The charter's epsilon per report and per day, and the sketch's shape",
        response: { 200: withExample(FederatedTermsSchema, TERMS_EXAMPLE) },
      },
    },
    () => federated.terms(),
  )

  app.post(
    '/v1/federated/contributions',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['federated'],
        summary: 'A batch of locally differentially private item-pair reports, without identifiers',
        description:
          'No subject, session, token or cookie: the browser sends only count-mean-sketch reports made at the charter epsilon per contribution, at most one day of them. ' +
          'Refused with 400 naming the field for another sketch shape or epsilon, more reports than a day allows, or a row or bits that do not fit; a refused batch adds nothing. ' +
          'Only running totals are kept. Rate limited per address like every public route.',
        body: withExample(ContributionBatchSchema, BATCH_EXAMPLE),
        response: { 202: withExample(ContributionReceiptSchema, { accepted: 1 }) },
      },
    },
    async (request, reply) => reply.code(202).send(await federated.contribute(request.body)),
  )
}
