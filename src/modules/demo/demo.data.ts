import fs from 'node:fs'
import path from 'node:path'
import { packageRoot } from '../../lib/package-root.js'

/** One product of the demo shop (demo/catalog.json, derived from UCI Online Retail). */
export interface DemoProduct {
  id: string
  title: string
  category: string
  price: number
  currency: string
}

/** One purchase line of a demo shopper (demo/history.csv). */
export interface DemoPurchase {
  shopper: string
  item: string
  quantity: number
  price: number
  timestamp: string
}

export interface DemoData {
  products: DemoProduct[]
  purchases: DemoPurchase[]
}

export const DEMO_CATEGORIES = [
  { id: 'home', title: 'Home and decor' },
  { id: 'kitchen', title: 'Kitchen and dining' },
  { id: 'lights', title: 'Candles and lights' },
  { id: 'bags', title: 'Bags' },
  { id: 'paper', title: 'Cards, wrap and paper' },
  { id: 'christmas', title: 'Christmas' },
  { id: 'toys', title: 'Toys and parties' },
] as const

/** The demo shoppers a visitor can switch to (the background shoppers only feed the model). */
export const DEMO_SHOPPERS = [
  { ref: 'demo-shopper-1', name: 'Alex (demo shopper with a history)' },
  { ref: 'demo-shopper-2', name: 'Sam (demo shopper with a history)' },
  { ref: 'demo-shopper-3', name: 'Jo (demo shopper with a history)' },
] as const

let cached: DemoData | undefined

/** Reads the committed demo sample once. */
export function loadDemoData(dir = path.join(packageRoot(), 'demo')): DemoData {
  if (cached !== undefined) return cached
  const products = JSON.parse(
    fs.readFileSync(path.join(dir, 'catalog.json'), 'utf8'),
  ) as DemoProduct[]
  const lines = fs.readFileSync(path.join(dir, 'history.csv'), 'utf8').trim().split('\n').slice(1)
  const purchases = lines.map((line) => {
    const [shopper = '', item = '', quantity = '1', price = '0', timestamp = ''] = line.split(',')
    return { shopper, item, quantity: Number(quantity), price: Number(price), timestamp }
  })
  cached = { products, purchases }
  return cached
}
