/**
 * The header row (title, live state, legend, actions) and the empty state. Buttons post the
 * recording commands; the host does the file dialogs.
 */
import type { WebviewToHost } from '../src/shared/protocol/webviewMessages';
import { h, s } from './dom';
import { FOLLOW_TITLE, SHOW_ALL_LABEL, SHOW_ALL_TITLE } from './keymap';

export interface ToolbarEvents {
  post(msg: WebviewToHost): void;
  toggleFollow(): void;
  showAll(): void;
}

export interface ToolbarView {
  title: string;
  live: boolean;
  follow: boolean;
  hasData: boolean;
  processCount: number;
  stallCount: number;
}

const ICONS: Record<string, string> = {
  follow: 'M2 8h8.5M7.5 5l3 3-3 3M13.5 3v10',
  fit: 'M2.5 6V2.5H6M10 2.5h3.5V6M13.5 10v3.5H10M6 13.5H2.5V10',
  open: 'M1.5 3.5h4.5l1.5 1.5h7v8h-13z',
  save: 'M2.5 2.5h9l2 2v9h-11zM5 2.5v3.5h5.5V2.5M5 13.5v-4h6v4',
  clear: 'M2.5 4.5h11M6 4.5v-2h4v2M4 4.5l.8 9h6.4l.8-9',
  export: 'M8 10V1.5M5 4.5l3-3 3 3M3.5 7.5h-1v6h11v-6h-1',
};

function icon(name: string): SVGSVGElement {
  return s('svg', { class: 'icon', width: 16, height: 16, viewBox: '0 0 16 16', 'aria-hidden': 'true' }, s('path', { d: ICONS[name] }));
}

function button(name: string, label: string, title: string, onClick: () => void, extra: Record<string, string> = {}): HTMLButtonElement {
  const b = h('button', { class: 'tool', type: 'button', title, 'aria-label': title, 'data-action': name, ...extra }, icon(name), h('span', { class: 'tool-label' }, label));
  b.addEventListener('click', onClick);
  return b;
}

export class Toolbar {
  readonly el: HTMLElement;
  private readonly titleEl: HTMLHeadingElement;
  private readonly statusEl: HTMLSpanElement;
  private readonly followBtn: HTMLButtonElement;
  private readonly fitBtn: HTMLButtonElement;
  private readonly saveBtn: HTMLButtonElement;
  private readonly exportBtn: HTMLButtonElement;
  private readonly clearBtn: HTMLButtonElement;

  constructor(parent: HTMLElement, events: ToolbarEvents) {
    this.titleEl = h('h1', { class: 'title' });
    this.statusEl = h('span', { class: 'status', role: 'status' });
    this.followBtn = button('follow', 'Follow', FOLLOW_TITLE, () => events.toggleFollow(), { 'aria-pressed': 'false' });
    this.fitBtn = button('fit', SHOW_ALL_LABEL, SHOW_ALL_TITLE, () => events.showAll());
    const openBtn = button('open', 'Open…', 'Open Recording…', () => events.post({ type: 'openRecording' }));
    this.saveBtn = button('save', 'Save…', 'Save Recording…', () => events.post({ type: 'saveRecording' }));
    this.exportBtn = button('export', 'Export…', 'Export as an HTML report (one file that opens in any browser)…', () => events.post({ type: 'exportHtml' }));
    this.clearBtn = button('clear', 'Clear', 'Clear the timeline', () => events.post({ type: 'clear' }));
    const actions = h('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Timeline actions' }, this.followBtn, this.fitBtn, h('span', { class: 'sep' }), openBtn, this.saveBtn, this.exportBtn, this.clearBtn);
    this.el = h('header', { class: 'toolbar' }, h('div', { class: 'heading' }, this.titleEl, this.statusEl), actions);
    parent.appendChild(this.el);
  }

  private last = '';

  render(v: ToolbarView): void {
    // Called every frame while live: touch the DOM only when something shown changed.
    const key = JSON.stringify(v);
    if (key === this.last) return;
    this.last = key;
    this.titleEl.textContent = v.title || 'Stallscope';
    this.titleEl.title = v.title;
    // From the state's live flag: a finished session (or an opened file) is not "recording".
    this.statusEl.textContent = v.live ? 'live' : v.hasData ? 'ended' : '';
    this.statusEl.title = v.live ? 'A session is feeding this timeline' : v.hasData ? 'The session has ended: nothing new will arrive' : '';
    this.statusEl.className = `status${v.live ? ' live' : ''}`;
    this.followBtn.setAttribute('aria-pressed', String(v.live && v.follow));
    this.followBtn.disabled = !v.live;
    this.fitBtn.disabled = !v.hasData;
    this.saveBtn.disabled = !v.hasData;
    this.exportBtn.disabled = !v.hasData;
    this.clearBtn.disabled = !v.hasData;
  }
}

export function emptyState(post: (msg: WebviewToHost) => void): HTMLElement {
  const open = h('button', { class: 'primary', type: 'button' }, 'Open Recording…');
  open.addEventListener('click', () => post({ type: 'openRecording' }));
  return h(
    'div',
    { class: 'empty', role: 'region', 'aria-label': 'No data' },
    s('svg', { class: 'empty-icon', width: 48, height: 48, viewBox: '0 0 48 48', 'aria-hidden': 'true' }, s('path', { d: 'M4 34h8l4-10 5 16 5-28 5 22h4l3-6h6' })),
    h('h2', {}, 'No stalls recorded yet'),
    h('p', {}, 'Start a debug session with ', h('strong', {}, 'Stallscope: Debug with Stall Probe'), ', or open a recording.'),
    h('p', { class: 'muted' }, 'Stalls appear here live, with the line that blocked the event loop. A report from ', h('code', {}, 'stallscope run'), ' opens here too.'),
    open,
  );
}
