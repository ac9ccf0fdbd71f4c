// One trace per video: a generation on the dev server, the Kling simulator and fake-gcs-server, traced into an
// in-memory exporter, makes one span tree from the caller's startVideoGeneration through the workflow run and each
// activity down to the Kling HTTP calls and the upload, and no span carries a credential.
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { VideoGenerationClient } from '../../src/client.js';
import { startTracing } from '../../src/tracing/index.js';
import { SIM_CREDENTIALS } from '../support/generation-stack.js';
import { uniqueId } from '../support/servers.js';
import { FAST_POLL, useGenerationStack } from '../support/suite.js';

const exporter = new InMemorySpanExporter();
const tracing = startTracing({ spanProcessor: new SimpleSpanProcessor(exporter) })!;
// Registered before the stack's hooks, so it runs after the worker has stopped (after-hooks run in reverse order).
afterAll(() => tracing.shutdown());
const suite = useGenerationStack({ tracing });

const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const one = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const found = named(spans, name);
  expect(
    found.map((s) => s.name),
    `one span named ${name} among ${spans.map((s) => s.name).join(', ')}`,
  ).toEqual([name]);
  return found[0]!;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

/** Every string an exporter would send: attribute values, event names and event attributes, status messages. */
function exportedStrings(span: ReadableSpan): string[] {
  return [
    span.name,
    span.status.message ?? '',
    ...Object.values(span.attributes).map(String),
    ...span.events.flatMap((e) => [e.name, ...Object.values(e.attributes ?? {}).map(String)]),
  ];
}

describe('one trace per video', () => {
  it('startVideoGeneration → workflow run → activities → Kling HTTP calls and the upload, without a credential', async () => {
    const workflowId = uniqueId('traced');
    const client = new VideoGenerationClient(suite.env.client, { taskQueue: suite.stack.taskQueue, tracing });
    const result = await suite.stack.run(() =>
      client.generate(
        { model: 'kling-2.6', kind: 'text-to-video', prompt: 'A red kite over a green hill, wide shot', duration: 5 },
        { workflowId, options: { poll: FAST_POLL } },
      ),
    );
    // The workflow's spans leave the sandbox through the sink after its last workflow task: wait for the run's span.
    while (!exporter.getFinishedSpans().some((s) => s.name === 'RunWorkflow:generateVideo')) await new Promise((r) => setTimeout(r, 50));
    await tracing.spanProcessor.forceFlush();
    const spans = exporter.getFinishedSpans();

    // The caller's call is the root, and everything else is in its trace.
    const root = one(spans, 'startVideoGeneration');
    expect(parentOf(root)).toBeUndefined();
    expect(root.attributes.temporalWorkflowId).toBe(workflowId);
    const traceId = root.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    expect(inTrace).toHaveLength(spans.length);

    const start = one(spans, 'StartWorkflow:generateVideo');
    expect(parentOf(start)).toBe(idOf(root));
    const run = one(spans, 'RunWorkflow:generateVideo');
    expect(parentOf(run)).toBe(idOf(start));
    expect(run.attributes).toMatchObject({ temporalWorkflowId: workflowId });
    expect(run.instrumentationScope.name).toBeTruthy();

    // Each activity: scheduled by the run (StartActivity), executed under that (RunActivity).
    const runActivity = (type: string): ReadableSpan[] => {
      const executions = named(spans, `RunActivity:${type}`);
      expect(executions.length, `RunActivity:${type}`).toBeGreaterThan(0);
      for (const execution of executions) {
        const scheduled = spans.find((s) => idOf(s) === parentOf(execution));
        expect(scheduled?.name).toBe(`StartActivity:${type}`);
        expect(parentOf(scheduled!)).toBe(idOf(run));
      }
      return executions;
    };
    const statusActivity = spans.some((s) => s.name === 'RunActivity:awaitVideoTaskChange') ? 'awaitVideoTaskChange' : 'getVideoTaskStatus';
    const [validate] = runActivity('validateVideoRequest');
    const [submit] = runActivity('submitVideoTask');
    const status = runActivity(statusActivity);
    const [rehost] = runActivity('rehostVideo');
    expect(validate).toBeDefined();

    // Kling HTTP calls: a client span per request under the activity that made it, with the route template.
    const http = spans.filter((s) => s.attributes['kling.operation'] !== undefined);
    const under = (activity: ReadableSpan) => http.filter((s) => parentOf(s) === idOf(activity));
    const [create] = under(submit!).filter((s) => s.attributes['kling.operation'] === 'create');
    expect(create).toBeDefined();
    expect(create!.name).toBe('POST /text-to-video/kling-2.6');
    expect(create!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/text-to-video/kling-2.6',
      'http.response.status_code': 200,
      'kling.code': 0,
      'kling.standard': 'new',
    });
    expect(create!.attributes['kling.request_id']).toEqual(expect.any(String));
    const statusCalls = status.flatMap(under);
    expect(statusCalls.length).toBeGreaterThan(0);
    for (const call of statusCalls)
      expect(call.attributes).toMatchObject({
        'http.request.method': 'GET',
        'http.route': '/tasks',
        'kling.operation': 'query',
        'http.response.status_code': 200,
        'kling.code': 0,
      });
    // The rehost downloads from the URL the status check read moments ago (RecentVideoUrls): no Kling call of its own.
    expect(under(rehost!).map((s) => s.attributes['kling.operation'])).toEqual([]);
    expect(http.every((s) => spans.some((a) => a.name.startsWith('RunActivity:') && idOf(a) === parentOf(s)))).toBe(true);

    // The upload, under the rehost.
    const upload = one(spans, 'storage.upload');
    expect(parentOf(upload)).toBe(idOf(rehost!));
    expect(upload.attributes).toMatchObject({
      'storage.object_name': result.objectName,
      'storage.bytes': result.size,
      'storage.created': true,
      'storage.content_type': 'video/mp4',
    });

    // No credential, token or CDN URL in anything exported.
    const forbidden = [
      SIM_CREDENTIALS.apiKey,
      SIM_CREDENTIALS.accessKey,
      SIM_CREDENTIALS.secretKey,
      'Bearer',
      'eyJ',
      new URL(suite.stack.sim.url).host,
    ];
    for (const span of spans)
      for (const text of exportedStrings(span)) for (const secret of forbidden) expect(text, `${span.name}: ${text}`).not.toContain(secret);
  });
});
