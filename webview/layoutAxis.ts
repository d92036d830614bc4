/**
 * Labels of the time axis. Pure (no DOM).
 */

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * 24-hour axis labels that always say the minute: `14:05` on whole minutes, `14:05:30` on
 * seconds, `05:30.250` on milliseconds (a bare `:30` or `.250` reads as a different time).
 */
export function timeTickLabel(d: Date): string {
  if (d.getMilliseconds()) return `${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  if (d.getSeconds()) return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
