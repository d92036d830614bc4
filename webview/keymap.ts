/**
 * The timeline's keys, in one table: which key does what, and where it works. The chart and the
 * page both read it (`commandFor`), so a key is bound once; the chart's aria-label is built from
 * the same table, so what a screen reader announces cannot drift from what the keys do. Pure.
 */

export type StepTo = 'left' | 'right' | 'up' | 'down' | 'first' | 'last';

export type TimelineCommand =
  /** Move the selection to a neighbouring stall (no reveal). */
  | { kind: 'step'; to: StepTo }
  /** Open the selected stall's blocking line (or the first stall's). */
  | { kind: 'open' }
  /** Zoom by `factor` (> 1 zooms in) around the selected stall or the centre. */
  | { kind: 'zoom'; factor: number }
  /** Pan by this fraction of the visible span. */
  | { kind: 'pan'; fraction: number }
  | { kind: 'showAll' }
  | { kind: 'toggleFollow' }
  | { kind: 'clearSelection' };

/**
 * `page`: works wherever focus is, except in text fields (the window's listener runs it).
 * `chart`: only while the chart has focus.
 */
export type KeyScope = 'page' | 'chart';

export interface KeyInput {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
}

interface Binding {
  keys: readonly string[];
  shift?: boolean;
  scope: KeyScope;
  command: TimelineCommand;
}

const BINDINGS: readonly Binding[] = [
  { keys: ['ArrowLeft'], shift: true, scope: 'chart', command: { kind: 'pan', fraction: -0.2 } },
  { keys: ['ArrowRight'], shift: true, scope: 'chart', command: { kind: 'pan', fraction: 0.2 } },
  { keys: ['ArrowLeft'], scope: 'chart', command: { kind: 'step', to: 'left' } },
  { keys: ['ArrowRight'], scope: 'chart', command: { kind: 'step', to: 'right' } },
  { keys: ['ArrowUp'], scope: 'chart', command: { kind: 'step', to: 'up' } },
  { keys: ['ArrowDown'], scope: 'chart', command: { kind: 'step', to: 'down' } },
  { keys: ['Home'], scope: 'chart', command: { kind: 'step', to: 'first' } },
  { keys: ['End'], scope: 'chart', command: { kind: 'step', to: 'last' } },
  { keys: ['Enter', ' '], scope: 'chart', command: { kind: 'open' } },
  { keys: ['+', '='], scope: 'chart', command: { kind: 'zoom', factor: 2 } },
  { keys: ['-', '_'], scope: 'chart', command: { kind: 'zoom', factor: 0.5 } },
  { keys: ['Escape'], scope: 'chart', command: { kind: 'clearSelection' } },
  { keys: ['0'], scope: 'page', command: { kind: 'showAll' } },
  { keys: ['f', 'F'], scope: 'page', command: { kind: 'toggleFollow' } },
];

/**
 * The command a key press means in `scope`. Shift is part of the chord only where a binding asks
 * for it (`+` is Shift+= on most layouts); Ctrl, Cmd and Alt chords are VS Code's, never ours.
 */
export function commandFor(e: KeyInput, scope: KeyScope): TimelineCommand | undefined {
  if (e.ctrlKey || e.metaKey || e.altKey) return undefined;
  for (const b of BINDINGS) {
    if (b.scope !== scope || !b.keys.includes(e.key)) continue;
    if (b.shift !== undefined && b.shift !== e.shiftKey) continue;
    return b.command;
  }
  return undefined;
}

/** What the chart tells a screen reader about its keys. */
export const CHART_KEYS_HELP =
  'Arrow keys move between stalls, Enter opens the blocking line, plus and minus zoom, Shift with arrows pans, 0 shows all of the recording, F follows the live session.';

/** The names of the actions that have a key, so a button, its tooltip and its key say one thing. */
export const SHOW_ALL_LABEL = 'Show all';
export const SHOW_ALL_TITLE = 'Show all of the recording (0 or double-click)';
export const FOLLOW_TITLE = 'Follow the live session (F)';
