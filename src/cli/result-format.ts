import { fileURLToPath } from 'node:url';
import type { GenerateVideoResult } from '../contract/generation.js';
import { formatBytes, formatMs } from './output.js';

/** The local path of a `file://` result, else undefined. */
export function localPath(uri: string): string | undefined {
  return uri.startsWith('file://') ? fileURLToPath(uri) : undefined;
}

/** Temporal Web UI link to a workflow, when the UI's base URL is known (KLING_TEMPORAL_UI_URL or the dev stack). */
export function workflowUiUrl(uiBaseUrl: string | undefined, namespace: string, workflowId: string): string | undefined {
  if (!uiBaseUrl) return undefined;
  return `${uiBaseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** Human-readable result lines. */
export function resultLines(result: GenerateVideoResult): string[] {
  const file = localPath(result.uri);
  return [
    `stored:    ${result.uri}`,
    ...(file ? [`file:      ${file}`] : []),
    `url:       ${result.url ?? `signed on request: kling-video url <workflow-id>`}`,
    `size:      ${formatBytes(result.size)} (${result.size} bytes, md5 ${result.md5Base64})`,
    `model:     ${result.model} (${result.standard} standard), Kling task ${result.klingTaskId}`,
    `credits:   ${result.credits.estimated} estimated${result.credits.actual !== undefined ? `, ${result.credits.actual} actual` : ''}`,
    `timing:    ${formatMs(result.timingsMs.total)} total (${result.submissions} submission(s), ${result.polls} poll(s))`,
  ];
}
