import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'

/**
 * The Fastify instance a module's routes plugin receives (Zod type provider), for the functions a routes
 * file splits its registrations into, one per group of routes.
 */
export type RoutesApp = Parameters<FastifyPluginAsyncZod>[0]
