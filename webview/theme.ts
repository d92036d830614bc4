/**
 * Theme colours for what the canvas draws. The canvas cannot use `var(--vscode-…)`, so
 * timeline.css maps the theme onto `--ss-*` properties and this reads their computed values; it
 * reads them again whenever VS Code switches theme (it rewrites the root style and body class).
 */
export interface ChartColors {
  foreground: string;
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

/** Calls `onChange` when VS Code changes the theme (root style variables or the body's theme class). */
export function watchTheme(onChange: () => void): MutationObserver {
  const mo = new MutationObserver(onChange);
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  mo.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  return mo;
}
