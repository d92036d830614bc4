'use strict';
// The strongest peer for the overhead bench: Sentry's native event-loop-block watchdog
// (`@sentry/node` with only `eventLoopBlockIntegration` from `@sentry/node-native`), at Stallscope's
// threshold. Its events go to a DSN on a closed loopback port: the cost of detecting and capturing is
// measured, not a network round trip. SENTRY_LOG=1 shows its own log (to check it really detects).
const Sentry = require('@sentry/node');
const { eventLoopBlockIntegration } = require('@sentry/node-native');

Sentry.init({
  dsn: 'http://public@127.0.0.1:9/1',
  defaultIntegrations: false,
  debug: process.env.SENTRY_LOG === '1',
  integrations: [eventLoopBlockIntegration({ threshold: 50 })],
});
