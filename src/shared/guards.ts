/**
 * The primitive guards every boundary validates `unknown` with (probe frames, webview messages,
 * report files, DAP traffic, the check worker's messages). Hand-written rather than a schema
 * library: the probe bundles them, and they must stay tiny.
 */

export type Obj = Record<string, unknown>;

/** Longest string accepted where no tighter cap is given. */
export const MAX_STRING = 8 * 1024;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
export function isStr(v: unknown, max = MAX_STRING): v is string {
  return typeof v === 'string' && v.length <= max;
}
/** A string of at most `max` characters, as a guard to pass around. */
export const isStrMax =
  (max: number) =>
  (v: unknown): v is string =>
    isStr(v, max);
export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
export function isNullableNum(v: unknown): v is number | null {
  return v === null || isNum(v);
}
export function isInt(v: unknown, min = 0): v is number {
  return Number.isSafeInteger(v) && (v as number) >= min;
}
export function isBool(v: unknown): v is boolean {
  return typeof v === 'boolean';
}
export function isOpt<T>(v: unknown, guard: (x: unknown) => x is T): v is T | undefined {
  return v === undefined || guard(v);
}
export function isArr<T>(v: unknown, guard: (x: unknown) => x is T, max: number): v is T[] {
  return Array.isArray(v) && v.length <= max && v.every(guard);
}
/** An array of at most `max` strings, each at most MAX_STRING. */
export const isStrArr =
  (max: number) =>
  (v: unknown): v is string[] =>
    isArr(v, (x): x is string => isStr(x), max);
/** One of a fixed list of literals. */
export const isOneOf =
  <T extends string>(values: readonly T[]) =>
  (v: unknown): v is T =>
    values.includes(v as T);

/** For `switch` statements over a union: a compile error when a case is missing. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
