/**
 * The Stallscope view in Run and Debug: the recording on screen as a tree, routes → blocking
 * lines → their longest stalls, each with its count and worst duration (stallGroups.ts). Opening a
 * line or a stall puts the cursor on the blocking line and, when the timeline is open, selects the
 * stall there. A native tree view: keyboard and screen readers work as in the built-in views.
 */
import * as vscode from 'vscode';
import type { Recording } from '../core/recording';
import { causeText, formatDuration, handlerText, stallSummary } from '../shared/phrases';
import type { Stall } from '../shared/protocol/model';
import { coalesce } from './coalesce';
import { Commands, STALLS_VIEW_ID } from './contributions';
import type { RecordingHub } from './recordingHub';
import { groupByRoute, groupDescription, lineLabel, type LineGroup, type RouteGroup } from './stallGroups';

const REDRAW_MS = 300;
/** Stalls listed under a line; the timeline has them all. */
const STALLS_PER_LINE = 5;

type Node =
  | { kind: 'route'; route: RouteGroup }
  | { kind: 'line'; route: string; line: LineGroup }
  | { kind: 'stall'; stall: Stall };

export class StallTreeView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<Node>;
  private readonly refreshSoon = coalesce(() => this.refresh(), REDRAW_MS);
  private readonly unfollow: () => void;
  private routes: RouteGroup[] = [];

  constructor(private readonly hub: RecordingHub) {
    this.view = vscode.window.createTreeView(STALLS_VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
    const later = () => this.refreshSoon.schedule();
    this.unfollow = hub.follow({ current: () => this.refresh(), delta: later, removed: later, ended: later });
  }

  /** The routes and lines on show (for the test API). */
  get shown(): Array<{ route: string; lines: string[] }> {
    return this.routes.map((r) => ({ route: `${r.label} · ${groupDescription(r)}`, lines: r.lines.map((l) => `${this.lineItem(r.label, l).label} · ${groupDescription(l)}`) }));
  }

  dispose(): void {
    this.unfollow();
    this.refreshSoon.dispose();
    this.view.dispose();
    this.changed.dispose();
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.routes.map((route) => ({ kind: 'route', route }));
    if (node.kind === 'route') return node.route.lines.map((line) => ({ kind: 'line', route: node.route.label, line }));
    if (node.kind === 'line') {
      const rec = this.hub.current;
      return node.line.stallIds
        .map((id) => rec?.getStall(id))
        .filter((s): s is Stall => s !== undefined)
        .sort((a, b) => b.durationMs - a.durationMs)
        .slice(0, STALLS_PER_LINE)
        .map((stall) => ({ kind: 'stall', stall }));
    }
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'route': {
        const item = new vscode.TreeItem(node.route.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `route\0${node.route.label}`;
        item.description = groupDescription(node.route);
        item.iconPath = new vscode.ThemeIcon(node.route.label.includes(' /') ? 'globe' : 'symbol-event');
        item.accessibilityInformation = { label: `${node.route.label}: ${groupDescription(node.route)}` };
        return item;
      }
      case 'line':
        return this.lineItem(node.route, node.line);
      case 'stall': {
        const s = node.stall;
        const item = new vscode.TreeItem(formatDuration(s.durationMs), vscode.TreeItemCollapsibleState.None);
        item.id = `stall\0${s.id}`;
        item.description = [s.handler ? handlerText(s.handler) : undefined, s.cause ? causeText(s.cause) : undefined].filter(Boolean).join(' · ');
        item.tooltip = stallSummary(s);
        item.iconPath = new vscode.ThemeIcon('debug-stackframe-dot');
        item.command = { command: Commands.RevealStall, title: 'Open the blocking line', arguments: [s.id] };
        item.accessibilityInformation = { label: stallSummary(s) };
        return item;
      }
    }
  }

  private lineItem(route: string, line: LineGroup): vscode.TreeItem {
    const worst = this.hub.current?.getStall(line.worstStallId);
    const { label, detail } = lineLabel(line, worst);
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `line\0${route}\0${line.key}`;
    item.description = `${detail ? `${detail} · ` : ''}${groupDescription(line)}`;
    item.tooltip = line.culprit ? `${line.culprit.file}:${line.culprit.line}` : worst && worst.cause ? causeText(worst.cause) : label;
    item.iconPath = new vscode.ThemeIcon(line.culprit ? 'debug-breakpoint-unsupported' : 'question');
    item.command = { command: Commands.RevealStall, title: 'Open the blocking line', arguments: [line.worstStallId] };
    item.accessibilityInformation = { label: `${label}${detail ? ` in ${detail}` : ''}: ${groupDescription(line)}` };
    return item;
  }

  private refresh(): void {
    const rec: Recording | undefined = this.hub.current;
    this.routes = rec ? groupByRoute(rec.stalls) : [];
    this.view.description = rec ? `${rec.title}${rec.live ? '' : ' · ended'}` : undefined;
    this.view.message = rec && this.routes.length === 0 ? (rec.live ? 'No stalls yet: the event loop has not been blocked.' : 'No stalls in this recording.') : undefined;
    this.changed.fire(undefined);
  }
}
