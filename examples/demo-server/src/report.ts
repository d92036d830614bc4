import { orders, type Order } from './data';

export interface SalesReport {
  generatedAt: string;
  revenueByRegion: Record<string, number>;
  topSkus: { sku: string; revenue: number }[];
  /** The latest orders. */
  orders: Order[];
}

/** GET /report: everything in one synchronous pass, then a deep copy "for safety". Both block the loop. */
export function buildSalesReport(): string {
  const revenueByRegion: Record<string, number> = {};
  const bySku = new Map<string, number>();
  for (const o of orders) {
    for (const item of o.items) {
      const revenue = item.qty * item.price;
      revenueByRegion[o.region] = (revenueByRegion[o.region] ?? 0) + revenue;
      bySku.set(item.sku, (bySku.get(item.sku) ?? 0) + revenue);
    }
  }
  const topSkus = [...bySku].map(([sku, revenue]) => ({ sku, revenue })).sort((a, b) => b.revenue - a.revenue).slice(0, 10);
  const snapshot: Order[] = JSON.parse(JSON.stringify(orders)); // a deep copy of 12k orders, on the event loop
  const report: SalesReport = { generatedAt: new Date().toISOString(), revenueByRegion, topSkus, orders: snapshot.slice(-50) };
  return JSON.stringify(report);
}
