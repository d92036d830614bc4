/** Versions and limits of the wire contract, shared by every side of it. */

/** v2: the hello names its runtime (`runtime`), no `nodeVersion`/`threadId`; the host still accepts v1 hellos. */
export const PROTOCOL_VERSION = 2;
export const REPORT_VERSION = 1;

/** Hard cap on one websocket frame, enforced by the host (`maxPayload`) and respected by the probe. */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Stack depth kept per stall. */
export const MAX_STACK_FRAMES = 50;
/** Lag samples in one `lag` message. */
export const MAX_LAG_BATCH = 1000;
/** How long a connection may stay silent before its hello. */
export const HELLO_TIMEOUT_MS = 5000;
/** A process's command line as the hello carries it: at most this many arguments, each at most MAX_ARG_CHARS. */
export const MAX_ARGV = 256;
export const MAX_ARG_CHARS = 1024;

/** Websocket close codes the host uses to refuse a probe; a probe that sees one goes quiet. */
export const CloseCode = {
  badToken: 4001,
  badFrame: 4002,
  unsupportedVersion: 4003,
  helloTimeout: 4004,
} as const;
