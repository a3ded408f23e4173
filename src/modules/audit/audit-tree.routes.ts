import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RoutesApp } from '../../http/routes.js'
import { withExample } from '../../http/openapi.js'
import {
  CHECKPOINT_EXAMPLE,
  CHECKPOINT_NOTE_EXAMPLE,
  CONSISTENCY_PROOF_EXAMPLE,
  INCLUSION_PROOF_EXAMPLE,
} from './audit.examples.js'
import type { AuditLog } from './audit.service.js'

const Hex = z.string().regex(/^[0-9a-f]{64}$/)

const CheckpointSchema = z.object({
  origin: z.string().describe('The name of this log'),
  treeSize: z.number().int().describe('Entries covered'),
  rootHash: Hex.describe('RFC 6962 Merkle tree hash of the first treeSize entries, hex'),
  timestamp: z.string().describe('When it was signed (UTC)'),
  note: z
    .string()
    .describe(
      'The signed checkpoint, C2SP tlog-checkpoint in a signed note: what to keep and publish',
    ),
  publicKey: z.string().describe('The verifier key (signed-note form) that checks the signature'),
})

const Size = z.coerce.number().int().min(0)

/**
 * The audit log's Merkle tree, for outside witnesses: the latest signed checkpoint and consistency
 * proofs are public (hashes only: no entry, no subject); inclusion proofs name an entry, so they are
 * for the roles that may read the log.
 */
export const auditTreeRoutes: FastifyPluginAsyncZod<{ services: { audit: AuditLog } }> = async (
  app,
  { services },
) => {
  checkpointRoute(app, services.audit)
  proofRoutes(app, services.audit)
}

/** The latest signed checkpoint, as JSON or as the signed note itself. */
function checkpointRoute(app: RoutesApp, audit: AuditLog) {
  app.get(
    '/v1/audit/checkpoint',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['audit'],
        summary: 'The latest signed checkpoint of the audit log (public, for anyone to keep)',
        description:
          'Accept: text/plain answers the signed note alone. Keep copies: `candor audit verify --checkpoint FILE` (or the proof route) shows the log only grew since.',
        response: {
          200: {
            description: 'The checkpoint (JSON), or with Accept: text/plain its signed note alone',
            content: {
              'application/json': {
                schema: withExample(
                  CheckpointSchema.extend({
                    publicKeys: z
                      .array(z.string())
                      .describe('Every key this log signs with, active first'),
                  }),
                  CHECKPOINT_EXAMPLE,
                ),
              },
              'text/plain': { schema: withExample(z.string(), CHECKPOINT_NOTE_EXAMPLE) },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const checkpoint = await audit.latestCheckpoint()
      void reply.header('cache-control', 'no-cache')
      if (request.headers.accept?.startsWith('text/plain') === true) {
        return reply.type('text/plain; charset=utf-8').send(checkpoint.note)
      }
      return { ...checkpoint, publicKeys: audit.verifierKeys() }
    },
  )
}

/** Consistency proofs (public) and inclusion proofs (for the roles that may read the log). */
function proofRoutes(app: RoutesApp, audit: AuditLog) {
  app.get(
    '/v1/audit/proof',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['audit'],
        summary: 'RFC 6962 consistency proof from an older tree size to a newer one (public)',
        querystring: z.object({
          size: Size.describe('The tree size of the checkpoint you hold'),
          to: Size.optional().describe('The newer size (default: the latest checkpoint)'),
        }),
        response: {
          200: withExample(
            z.object({
              first: z.number().int(),
              second: z.number().int(),
              proof: z.array(Hex).describe('Node hashes, hex, in RFC 6962 order'),
            }),
            CONSISTENCY_PROOF_EXAMPLE,
          ),
        },
      },
    },
    async (request) => audit.consistencyProof(request.query.size, request.query.to),
  )

  app.get(
    '/v1/audit/inclusion',
    {
      config: { access: { roles: ['privacy_officer', 'admin'] } },
      schema: {
        tags: ['audit'],
        summary: 'RFC 6962 inclusion proof of one entry in a tree size',
        querystring: z.object({
          seq: z.coerce.number().int().min(1).describe('The entry'),
          size: Size.optional().describe('The tree size (default: the latest checkpoint)'),
        }),
        response: {
          200: withExample(
            z.object({
              seq: z.number().int(),
              leafIndex: z.number().int(),
              treeSize: z.number().int(),
              leafHash: Hex,
              proof: z.array(Hex),
            }),
            INCLUSION_PROOF_EXAMPLE,
          ),
        },
      },
    },
    async (request) => audit.inclusionProof(request.query.seq, request.query.size),
  )
}
