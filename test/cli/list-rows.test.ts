// `list` without a server: the visibility query covers generations, batches and adoptions, and the text table has a
// header row and a type column.
import { describe, expect, it } from 'vitest';
import { listTable } from '../../src/cli/commands/list.js';
import { listEntry, listQuery } from '../../src/generation-queries.js';

const row = (workflowId: string, type: string, searchAttributes: Record<string, string[]> = {}) =>
  listEntry({
    workflowId,
    runId: `run-${workflowId}`,
    type,
    status: { name: 'COMPLETED' },
    startTime: new Date('2026-12-07T10:00:00Z'),
    closeTime: new Date('2026-12-07T10:01:00Z'),
    taskQueue: 'kling-video',
    searchAttributes,
  });

describe('list', () => {
  it('queries all three workflow types (and not the budget or slot entities), with the status and extra filter AND-ed', () => {
    expect(listQuery(undefined, undefined)).toBe("(WorkflowType='generateVideo' OR WorkflowType='generateBatch' OR WorkflowType='adoptVideo')");
    expect(listQuery('failed', "TaskQueue='q'")).toBe(
      "(WorkflowType='generateVideo' OR WorkflowType='generateBatch' OR WorkflowType='adoptVideo') AND ExecutionStatus='Failed' AND (TaskQueue='q')",
    );
  });

  it('each entry names its workflow type', () => {
    expect(row('v1', 'generateVideo', { KlingModel: ['kling-2.6'], KlingPhase: ['completed'] })).toEqual({
      workflowId: 'v1',
      runId: 'run-v1',
      type: 'generateVideo',
      status: 'COMPLETED',
      startTime: '2026-12-07T10:00:00.000Z',
      closeTime: '2026-12-07T10:01:00.000Z',
      taskQueue: 'kling-video',
      model: 'kling-2.6',
      phase: 'completed',
    });
  });

  it('the text table: a header row, then start, status, type, phase, model and id per workflow', () => {
    const lines = listTable([
      row('v1', 'generateVideo', { KlingModel: ['kling-2.6'], KlingPhase: ['completed'] }),
      row('b1', 'generateBatch'),
      row('a1', 'adoptVideo'),
    ]);
    expect(lines[0]).toMatch(/^START\s+STATUS\s+TYPE\s+PHASE\s+MODEL\s+WORKFLOW$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^2026-12-07T10:00:00\.000Z\s+COMPLETED\s+generateVideo\s+completed\s+kling-2\.6\s+v1$/),
      expect.stringMatching(/^2026-12-07T10:00:00\.000Z\s+COMPLETED\s+generateBatch\s+-\s+-\s+b1$/),
      expect.stringMatching(/^2026-12-07T10:00:00\.000Z\s+COMPLETED\s+adoptVideo\s+-\s+-\s+a1$/),
    ]);
    // Columns line up: every row's type starts where the header's TYPE does.
    const at = lines[0]!.indexOf('TYPE');
    for (const line of lines.slice(1)) expect(line.slice(at)).toMatch(/^(generateVideo|generateBatch|adoptVideo) /);
  });
});
