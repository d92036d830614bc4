/** An in-memory "database" of orders, big enough that handling it synchronously hurts. */
export interface Order {
  id: number;
  customer: string;
  region: 'eu' | 'us' | 'apac';
  createdAt: string;
  items: { sku: string; qty: number; price: number }[];
}

const REGIONS = ['eu', 'us', 'apac'] as const;

export const orders: Order[] = Array.from({ length: 12_000 }, (_, i) => ({
  id: i,
  customer: `customer-${i % 977}`,
  region: REGIONS[i % 3],
  createdAt: new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString(),
  items: Array.from({ length: 3 }, (_, j) => ({
    sku: `sku-${(i * 7 + j) % 500}`,
    qty: 1 + ((i + j) % 4),
    price: ((i * 13 + j * 7) % 9000) / 100,
  })),
}));

/** Pretends to be a database round trip: the loop is free while we wait. */
export function queryOrders(customer: string): Promise<Order[]> {
  return new Promise((resolve) => setTimeout(() => resolve(orders.filter((o) => o.customer === customer)), 5));
}
