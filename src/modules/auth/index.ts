export {
  ROLES,
  STAFF_ROLES,
  RoleSchema,
  ApiKeyInfoSchema,
  type Role,
  type Caller,
  type ApiKeyInfo,
} from './auth.js'
export { createAuthService, partnerVendors, type AuthService } from './auth.service.js'
export { authRoutes, type AuthRoutesDeps } from './auth.routes.js'
