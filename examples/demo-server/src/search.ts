import { orders, queryOrders, type Order } from './data';

/**
 * GET /search?customer=…: awaits the "database" (harmless), then ranks the customer's orders by how
 * many of their products other orders share, comparing against every order there is. The await is
 * fine; the CPU work after it blocks the loop, in the same request.
 */
export async function searchOrders(customer: string): Promise<{ id: number; score: number }[]> {
  const found = await queryOrders(customer);
  const scored = found.map((o) => ({ id: o.id, score: similarity(o, orders) }));
  return scored.sort((a, b) => b.score - a.score).slice(0, 5);
}

function similarity(order: Order, all: readonly Order[]): number {
  let score = 0;
  for (const other of all) {
    for (const a of order.items) {
      for (const b of other.items) if (`${a.sku}/${a.qty}` === `${b.sku}/${b.qty}`) score++;
    }
  }
  return score;
}
