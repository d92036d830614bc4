'use strict';
// The comparison baseline: npm `blocked-at` (async_hooks timing of every callback), loaded with --require.
require('blocked-at')(() => undefined, { threshold: 50 });
