/**
 * Outside VS Code nobody sets the `--vscode-*` variables the timeline's stylesheet is written in:
 * the standalone report brings VS Code's default Light Modern and Dark Modern values (the reader's
 * `prefers-color-scheme` picks one), and the body class the timeline reads for the theme kind.
 */

const LIGHT: Record<string, string> = {
  'editor-background': '#ffffff',
  'editor-foreground': '#3b3b3b',
  foreground: '#3b3b3b',
  descriptionForeground: '#717171',
  focusBorder: '#005fb8',
  'charts-foreground': '#616161',
  'charts-lines': 'rgba(97, 97, 97, 0.5)',
  'charts-red': '#e51400',
  'charts-orange': '#d18616',
  'charts-yellow': '#bf8803',
  'charts-blue': '#1a85ff',
  'charts-green': '#388a34',
  'charts-purple': '#652d90',
  'panel-border': '#e5e5e5',
  'widget-shadow': 'rgba(0, 0, 0, 0.16)',
  'list-hoverBackground': '#f2f2f2',
  'list-activeSelectionBackground': '#e8e8e8',
  'list-activeSelectionForeground': '#000000',
  'list-inactiveSelectionBackground': '#e4e6f1',
  'list-focusOutline': '#005fb8',
  'editor-selectionBackground': '#add6ff',
  'button-background': '#005fb8',
  'button-foreground': '#ffffff',
  'button-hoverBackground': '#0258a8',
  'badge-background': '#cccccc',
  'badge-foreground': '#3b3b3b',
  'toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)',
  'inputOption-activeBackground': 'rgba(190, 195, 201, 0.33)',
  'inputOption-activeBorder': '#005fb8',
  'inputOption-activeForeground': '#000000',
  'editorHoverWidget-background': '#f8f8f8',
  'editorHoverWidget-foreground': '#3b3b3b',
  'editorHoverWidget-border': '#c8c8c8',
  'editorWidget-background': '#f8f8f8',
  'editorWarning-foreground': '#bf8803',
  'textLink-foreground': '#005fb8',
  errorForeground: '#a1260d',
};

const DARK: Record<string, string> = {
  'editor-background': '#1f1f1f',
  'editor-foreground': '#cccccc',
  foreground: '#cccccc',
  descriptionForeground: '#9d9d9d',
  focusBorder: '#0078d4',
  'charts-foreground': '#cccccc',
  'charts-lines': 'rgba(204, 204, 204, 0.5)',
  'charts-red': '#f14c4c',
  'charts-orange': '#d18616',
  'charts-yellow': '#cca700',
  'charts-blue': '#3794ff',
  'charts-green': '#89d185',
  'charts-purple': '#b180d7',
  'panel-border': '#2b2b2b',
  'widget-shadow': 'rgba(0, 0, 0, 0.36)',
  'list-hoverBackground': '#2a2d2e',
  'list-activeSelectionBackground': '#04395e',
  'list-activeSelectionForeground': '#ffffff',
  'list-inactiveSelectionBackground': '#37373d',
  'list-focusOutline': '#0078d4',
  'editor-selectionBackground': '#264f78',
  'button-background': '#0078d4',
  'button-foreground': '#ffffff',
  'button-hoverBackground': '#026ec1',
  'badge-background': '#616161',
  'badge-foreground': '#f8f8f8',
  'toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)',
  'inputOption-activeBackground': 'rgba(36, 137, 219, 0.51)',
  'inputOption-activeBorder': '#2488db',
  'inputOption-activeForeground': '#ffffff',
  'editorHoverWidget-background': '#202020',
  'editorHoverWidget-foreground': '#cccccc',
  'editorHoverWidget-border': '#454545',
  'editorWidget-background': '#202020',
  'editorWarning-foreground': '#cca700',
  'textLink-foreground': '#4daafc',
  errorForeground: '#f85149',
};

const FONTS = [
  '--vscode-font-family: -apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif;',
  '--vscode-font-size: 13px;',
  '--vscode-font-weight: normal;',
  '--vscode-editor-font-family: ui-monospace, "SF Mono", Menlo, Consolas, "Droid Sans Mono", monospace;',
].join('\n  ');

const vars = (v: Record<string, string>): string =>
  Object.entries(v)
    .map(([k, c]) => `--vscode-${k}: ${c};`)
    .join('\n  ');

/** The stylesheet that stands in for VS Code's theme. */
export const REPORT_THEME_CSS = `:root {
  color-scheme: light dark;
  ${FONTS}
  ${vars(LIGHT)}
}
@media (prefers-color-scheme: dark) {
  :root {
  ${vars(DARK)}
  }
}
`;
