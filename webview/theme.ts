/**
 * Theme colours for what the canvas draws. The canvas cannot use `var(--vscode-…)`, so
 * timeline.css maps the theme onto `--ss-*` properties and this reads their computed values; it
 * reads them again whenever VS Code switches theme (it rewrites the root style and body class).
 */
import { ensureContrast, parseColor, toCss, type Rgb } from './contrast';

export interface ChartColors {
  foreground: string;
  background: string;
  muted: string;
  grid: string;
  laneBorder: string;
  p50: string;
  p99: string;
  max: string;
  stallLow: string;
  stallMedium: string;
  stallHigh: string;
  pause: string;
  selection: string;
  contrastBorder: string;
  fontFamily: string;
  highContrast: boolean;
}

export function readColors(root: Element): ChartColors {
  const cs = getComputedStyle(root);
  const v = (name: string, fallback: string): string => cs.getPropertyValue(name).trim() || fallback;
  const fg = v('--ss-foreground', cs.color || '#888');
  return {
    foreground: fg,
    background: v('--ss-background', 'transparent'),
    muted: v('--ss-muted', fg),
    grid: v('--ss-grid', fg),
    laneBorder: v('--ss-lane-border', fg),
    p50: v('--ss-lag-p50', fg),
    p99: v('--ss-lag-p99', fg),
    max: v('--ss-lag-max', fg),
    stallLow: v('--ss-stall-low', fg),
    stallMedium: v('--ss-stall-medium', fg),
    stallHigh: v('--ss-stall-high', fg),
    pause: v('--ss-pause', fg),
    selection: v('--ss-selection', fg),
    contrastBorder: v('--ss-contrast-border', fg),
    fontFamily: v('--ss-font-family', 'sans-serif'),
    highContrast: document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light'),
  };
}

/**
 * Colours the theme gives for one job that do not do it on this theme's background (yellow on
 * white: 2.9:1), nudged darker or lighter until they do: marks and swatches to 3:1 (WCAG 1.4.11,
 * graphics), text to 4.5:1 (1.4.3). Written as `--ss-*` properties on `root` (CSSOM, which the
 * CSP allows), so the canvas and the stylesheet use the same corrected colours.
 */
const READABLE: { prop: string; from: string; ratio: number }[] = [
  { prop: '--ss-stall-low', from: 'var(--vscode-charts-yellow)', ratio: 3 },
  { prop: '--ss-stall-medium', from: 'var(--vscode-charts-orange)', ratio: 3 },
  { prop: '--ss-stall-high', from: 'var(--vscode-charts-red)', ratio: 3 },
  { prop: '--ss-pause', from: 'var(--vscode-charts-purple)', ratio: 3 },
  { prop: '--ss-lag-p99', from: 'var(--vscode-charts-blue)', ratio: 3 },
  { prop: '--ss-stall-high-text', from: 'var(--vscode-charts-red)', ratio: 4.5 },
  { prop: '--ss-warning-text', from: 'var(--vscode-editorWarning-foreground, var(--vscode-charts-yellow))', ratio: 4.5 },
];

export function applyReadableColors(root: HTMLElement): void {
  const probe = document.createElement('span');
  probe.hidden = true;
  root.appendChild(probe);
  const resolve = (value: string): Rgb | undefined => {
    probe.style.color = '';
    probe.style.color = value;
    return parseColor(getComputedStyle(probe).color);
  };
  const bg = resolve('var(--vscode-editor-background)') ?? [255, 255, 255];
  for (const r of READABLE) {
    const c = resolve(r.from);
    if (c) root.style.setProperty(r.prop, toCss(ensureContrast(c, bg, r.ratio)));
  }
  probe.remove();
}

/** Calls `onChange` when VS Code changes the theme (root style variables or the body's theme class). */
export function watchTheme(onChange: () => void): MutationObserver {
  const mo = new MutationObserver(onChange);
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  mo.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  return mo;
}
