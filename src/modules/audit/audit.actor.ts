import type { FastifyRequest } from 'fastify'
import type { Actor } from './audit.js'

/** The audit actor for an HTTP request: the API key by id, or the shopper by pseudonym. */
export function actorOf(request: FastifyRequest): Actor {
  const caller = request.caller
  switch (caller.kind) {
    case 'api_key':
      return { kind: 'api_key', keyId: caller.keyId, role: caller.role }
    case 'shopper':
      return { kind: 'shopper', subjectId: caller.subjectId }
    case 'anonymous':
      return { kind: 'system', name: 'anonymous' }
  }
}
