/** The subset of vscode.DebugConfiguration that the probe's injection reads and writes (Node and Python alike). */
export interface LaunchConfig {
  type: string;
  request: string;
  name: string;
  [key: string]: unknown;
}
