/**
 * The check as the timeline shows it (protocol CheckView): plain data, nothing from the engine's
 * internals, each culprit tied to the longest stall it caused so the webview reveals it by id.
 */
import { culpritKey } from '../culprits';
import { victimsPhrase } from '../../shared/phrases';
import type { CheckEndpointView, CheckStatus, CheckView } from '../../shared/protocol/webviewMessages';
import { endpointName } from './endpoint';
import type { CheckResult, CheckSettings } from './runCheck';
import { canaryInflated, type CanaryStats, type EndpointResult } from './verdict';

export function endpointView(e: EndpointResult, idle: CanaryStats | null, thresholdMs: number): CheckEndpointView {
  const top = e.culprits[0];
  // e.stalls is longest first: the first stall with the top culprit's line is its longest.
  const worstOfTop = top && e.stalls.find((s) => s.culprit && culpritKey(s.culprit) === `${top.file}:${top.line}`);
  const worst = e.stalls[0];
  const victims = worst && victimsPhrase(worst);
  return {
    endpoint: endpointName(e.endpoint),
    verdict: e.verdict,
    stalls: e.stalls.length,
    maxStallMs: e.maxStallMs,
    p99StallMs: e.p99StallMs,
    canaryP99Ms: e.canary && Number.isFinite(e.canary.p99Ms) ? e.canary.p99Ms : null,
    inflated: canaryInflated(idle, e.canary, thresholdMs) === true,
    culprit: top && worstOfTop ? { file: top.file, line: top.line, function: top.function, totalMs: top.totalMs, stallId: worstOfTop.id } : null,
    ...(victims ? { victims } : {}),
    overBudget: e.overBudget,
    ...(e.error ? { error: e.error } : {}),
  };
}

/** A check in progress: the settings, what is done so far, and what runs now. */
export function runningView(
  s: Pick<CheckSettings, 'baseUrl' | 'thresholdMs' | 'budgetMs' | 'canary'>,
  startedAtMs: number,
  idle: CanaryStats | null,
  done: readonly EndpointResult[],
  status: CheckStatus,
  message?: string,
): CheckView {
  return {
    baseUrl: s.baseUrl,
    thresholdMs: s.thresholdMs,
    budgetMs: s.budgetMs,
    canary: s.canary ? endpointName(s.canary) : null,
    canaryIdleP99Ms: idle && Number.isFinite(idle.p99Ms) ? idle.p99Ms : null,
    startedAtMs,
    status,
    ...(message ? { message } : {}),
    endpoints: done.map((e) => endpointView(e, idle, s.thresholdMs)),
  };
}

export function resultView(r: CheckResult): CheckView {
  return runningView(r, r.startedAtMs, r.canaryIdle, r.endpoints, 'done');
}
