/**
 * The contract between the standalone report's HTML (htmlReport.ts) and the bundle inside it
 * (webview/reportBoot.ts). No imports: the browser bundle includes it as is.
 */

/** The `<script type="application/json">` that carries the recording. */
export const REPORT_DATA_ID = 'stallscope-report';

/** The body class of a standalone report: the actions that need an editor are hidden. */
export const REPORT_BODY_CLASS = 'ss-report';
