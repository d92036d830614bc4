/**
 * WCAG 2 contrast: relative luminance, contrast ratio, and a colour nudged until it reaches a
 * ratio against a background. Pure (no DOM), shared by the theme code and the tests that check it.
 */

export type Rgb = [number, number, number];

/** `rgb(1, 2, 3)`, `rgba(1, 2, 3, 0.5)` (alpha ignored), `#abc`, `#aabbcc[dd]`; undefined otherwise. */
export function parseColor(css: string): Rgb | undefined {
  const s = css.trim();
  const m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/i.exec(s);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const hex = /^#([0-9a-f]{3,8})$/i.exec(s)?.[1];
  if (!hex) return undefined;
  const full = hex.length <= 4 ? [...hex.slice(0, 3)].map((c) => c + c).join('') : hex.slice(0, 6);
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as Rgb;
}

/** The alpha of an `rgba(…)` colour (1 for anything else). */
export function alphaOf(css: string): number {
  const m = /^rgba\(\s*[\d.]+[,\s]+[\d.]+[,\s]+[\d.]+\s*[,/]\s*([\d.]+)/i.exec(css.trim());
  return m ? Number(m[1]) : 1;
}

export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number): number => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** `top` with `alpha` over `bottom`. */
export function blend(top: Rgb, alpha: number, bottom: Rgb): Rgb {
  return top.map((c, i) => Math.round(c * alpha + bottom[i] * (1 - alpha))) as Rgb;
}

/**
 * `color`, moved toward black on a light background or white on a dark one, just far enough to
 * reach `minRatio` against `background`: the theme's hue stays, only its lightness gives way.
 */
export function ensureContrast(color: Rgb, background: Rgb, minRatio: number): Rgb {
  if (contrastRatio(color, background) >= minRatio) return color;
  const target: Rgb = luminance(background) > 0.18 ? [0, 0, 0] : [255, 255, 255];
  for (let t = 0.05; t <= 1; t += 0.05) {
    const c = blend(target, t, color);
    if (contrastRatio(c, background) >= minRatio) return c;
  }
  return target;
}

export const toCss = ([r, g, b]: Rgb): string => `rgb(${r}, ${g}, ${b})`;
