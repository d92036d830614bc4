/**
 * The wire contract of Stallscope, one module per boundary (see docs/ARCHITECTURE.md):
 *
 *   probe (inside the user's program) ──ws──▶ host (extension or CLI) ──postMessage──▶ webview
 *
 * plus the report file the CLI writes and the extension reads back. Every boundary validates
 * `unknown` with its module's guards; a cast is not validation. This barrel re-exports them all
 * while imports move to the specific modules.
 */
export * from './protocol/constants';
export * from './protocol/options';
export * from './protocol/model';
export * from './protocol/probeMessages';
export * from './protocol/webviewMessages';
export * from './protocol/report';
export { assertNever } from './guards';
