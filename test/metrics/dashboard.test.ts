// Server-free: the Grafana dashboard in docs/ queries only metrics the worker exports (KlingMetrics, the callback
// counter, prom-client's process/Node defaults), uses every project metric, and docs/metrics.md documents each.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CallbackCounters } from '../../src/callbacks/counters.js';
import { KlingMetrics } from '../../src/metrics/kling-metrics.js';
import { projectRoot } from '../support/binaries.js';

const dashboard = JSON.parse(readFileSync(path.join(projectRoot, 'docs', 'grafana-dashboard.json'), 'utf8')) as {
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
};
const metricsDoc = readFileSync(path.join(projectRoot, 'docs', 'metrics.md'), 'utf8');

/** The worker's registry as `kling-video worker` fills it with KLING_METRICS_PORT (and KLING_CALLBACK_LISTEN). */
function workerRegistry() {
  const metrics = new KlingMetrics({ processMetrics: true });
  new CallbackCounters(metrics.registry);
  return metrics.registry.getMetricsAsArray().map((m) => ({ name: m.name, type: String((m as unknown as { type: string }).type) }));
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan']);

/** Metric names a PromQL expression selects: identifiers left once strings, label matchers, ranges, groupings and functions are removed. */
function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    const before = stripped.slice(0, m.index);
    if (/[0-9.]$/.test(before)) continue; // part of a number (1e3)
    if (PROMQL_WORDS.has(word.toLowerCase())) continue;
    // A function (rate, sum, histogram_quantile, …) is followed by "(".
    if (/^\s*\(/.test(stripped.slice(m.index + word.length))) continue;
    names.add(word);
  }
  return [...names];
}

/** The registry metric a series name belongs to (histograms export `_bucket`, `_sum`, `_count`). */
function owner(series: string, registry: Array<{ name: string; type: string }>): string | undefined {
  for (const m of registry) {
    if (m.name === series) return m.name;
    if ((m.type === 'histogram' || m.type === 'summary') && ['_bucket', '_sum', '_count'].some((s) => series === `${m.name}${s}`)) return m.name;
  }
  return undefined;
}

describe('docs/grafana-dashboard.json', () => {
  const registry = workerRegistry();
  const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  it('the PromQL parser finds metric names and nothing else', () => {
    expect(
      metricNamesOf('histogram_quantile(0.95, sum by (le, phase) (rate(kling_phase_duration_seconds_bucket{phase!="x"}[$__rate_interval])))'),
    ).toEqual(['kling_phase_duration_seconds_bucket']);
    expect(metricNamesOf('sum(increase(a_total{outcome="succeeded"}[1h])) / sum(increase(b_total[1h])) > bool 0.5')).toEqual(['a_total', 'b_total']);
    expect(metricNamesOf('process_resident_memory_bytes')).toEqual(['process_resident_memory_bytes']);
  });

  it('every panel has a query, and every query names only metrics the worker exports', () => {
    expect(queries.length).toBeGreaterThan(0);
    for (const panel of dashboard.panels) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    const unknown = queries.flatMap(({ panel, expr }) => {
      const names = metricNamesOf(expr);
      if (names.length === 0) return [`${panel}: no metric in ${expr}`];
      return names.filter((n) => owner(n, registry) === undefined).map((n) => `${panel}: ${n}`);
    });
    expect(unknown).toEqual([]);
  });

  it('every project metric (kling_*) is on the dashboard and documented in docs/metrics.md', () => {
    const used = new Set(queries.flatMap(({ expr }) => metricNamesOf(expr).map((n) => owner(n, registry))));
    const own = registry.filter((m) => m.name.startsWith('kling_')).map((m) => m.name);
    expect(own.filter((n) => !used.has(n))).toEqual([]);
    expect(own.filter((n) => !metricsDoc.includes(`\`${n}\``))).toEqual([]);
  });

  it('the worker registry carries process and Node runtime metrics', () => {
    const names = registry.map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'process_resident_memory_bytes',
        'process_cpu_seconds_total',
        'nodejs_heap_size_used_bytes',
        'nodejs_eventloop_lag_p99_seconds',
      ]),
    );
    expect(names).not.toContain('kling_credit_drift_total');
  });
});

describe('KlingMetrics.recordGeneration', () => {
  it('observes only the phases a run reports (the phases it entered), with the model label it is given', async () => {
    const metrics = new KlingMetrics();
    metrics.recordGeneration({ outcome: 'budget_refused', model: 'kling-2.6', phaseDurationsMs: { validating: 40 } });
    const counts = (await metrics.phaseDuration.get()).values.filter((v) => v.metricName === 'kling_phase_duration_seconds_count' && v.value > 0);
    expect(counts.map((v) => v.labels.phase)).toEqual(['validating']);
    expect((await metrics.videos.get()).values.map((v) => v.labels)).toEqual([{ outcome: 'budget_refused', model: 'kling-2.6' }]);
  });

  it('drift: credits by direction in kling_credit_drift_credits_total, drifting runs in kling_credit_drift_runs_total', async () => {
    const metrics = new KlingMetrics();
    const base = { outcome: 'succeeded' as const, model: 'kling-2.6', phaseDurationsMs: {} };
    metrics.recordGeneration({ ...base, creditsEstimated: 100, creditsActual: 120, creditDrift: true, driftCredits: 20 });
    metrics.recordGeneration({ ...base, creditsEstimated: 100, creditsActual: 98, creditDrift: false, driftCredits: -2 });
    metrics.recordGeneration({ ...base, creditsEstimated: 100, creditsActual: 100, creditDrift: false, driftCredits: 0 });
    const credits = Object.fromEntries((await metrics.creditDriftCredits.get()).values.map((v) => [v.labels.direction, v.value]));
    expect(credits).toEqual({ over: 20, under: 2 });
    expect((await metrics.creditDrift.get()).values.map((v) => v.value)).toEqual([1]);
    expect(await metrics.registry.metrics()).toContain('kling_credit_drift_runs_total{model="kling-2.6"} 1');
  });
});
