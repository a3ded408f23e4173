/** Demo mode: the demo shop's data, its backend routes, the one-time seed and the demo staff key. */
export {
  DEMO_CATEGORIES,
  DEMO_SHOPPERS,
  loadDemoData,
  type DemoData,
  type DemoProduct,
  type DemoPurchase,
} from './demo.data.js'
export { seedDemo, ensureDemoStaffKey, DEMO_STAFF_KEY_FILE, type SeedReport } from './demo.seed.js'
export { demoRoutes } from './demo.routes.js'
