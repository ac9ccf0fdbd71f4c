import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Dispatcher } from 'undici';
import type { KlingClient } from '../kling/index.js';
import { FailureType } from '../contract/failure-types.js';
import type { GenerationPlan, StoredVideo, SubmittedTask } from '../contract/generation.js';
import {
  SizeLimitError,
  StorageBucketNotFoundError,
  StorageConflictError,
  ChecksumMismatchError,
  TruncatedUploadError,
  type VideoStorage,
} from '../storage/index.js';
import { toActivityFailure } from './failures.js';
import { inUploadSpan } from './upload-span.js';
import type { RecentVideoUrls } from './recent-video-urls.js';
import { peekStream, sniffMp4, VIDEO_SNIFF_BYTES } from '../download/video-sniff.js';
import {
  DEFAULT_VIDEO_HOST_POLICY,
  openVideoSource,
  VideoSourceRefusedError,
  type LookupAll,
  type OpenVideoOptions,
  type VideoHostPolicy,
} from '../download/video-source.js';

export interface RehostDeps {
  kling: KlingClient;
  storage: VideoStorage;
  /** Largest video accepted. Default 2 GiB. */
  maxVideoBytes?: number;
  dispatcher?: Dispatcher;
  /** Where videos may be downloaded from. Default: Kling's CDN hosts over https (DEFAULT_VIDEO_HOST_POLICY). */
  videoHosts?: VideoHostPolicy;
  /** For tests: the resolver behind the private-address check. */
  lookup?: LookupAll;
  /** Video URLs this worker read moments ago (see RecentVideoUrls); without it every rehost asks Kling for the URL. */
  recentUrls?: RecentVideoUrls;
  /** Told the size of each video this activity stored (metrics); not called when an earlier attempt had stored it. */
  onStored?: (bytes: number) => void;
}

export interface RehostInput {
  task: SubmittedTask;
  objectName: string;
  /** The generation's plan (its model, request summary and estimate go into the object's metadata); absent for an adopted task. */
  plan?: GenerationPlan;
  /** Credits per unit when there is no plan (an adopted task), to record the actual cost. */
  creditsPerUnit?: number;
  unitsDeducted?: number;
  workflowId?: string;
}

const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

/** Progress reported through activity heartbeats (visible on the pending activity in the Temporal UI). */
export interface TransferProgress {
  phase: 'rehosting';
  bytes: number;
  total?: number;
}

/**
 * Streams the finished video from Kling's CDN straight into storage (bytes never pass through the workflow
 * nor sit whole in memory), verifying content type, the MP4 signature of the first bytes (video-sniff.ts), length
 * and checksum. A retry after a crash converges: if the object is already stored for this task it is returned as is.
 */
export async function rehost(deps: RehostDeps, input: RehostInput): Promise<StoredVideo> {
  const ctx = Context.current();
  const { storage, kling } = deps;
  const existing = await storage.stat(input.objectName);
  if (existing?.metadata.klingTaskId === input.task.taskId) {
    ctx.log.info('video already stored by an earlier attempt', { objectName: input.objectName });
    return { ...existing, ...(await permanentUrl(storage, input.objectName)), created: false };
  }

  const maxBytes = deps.maxVideoBytes ?? DEFAULT_MAX_BYTES;
  const signal = ctx.cancellationSignal;
  const policy = deps.videoHosts ?? DEFAULT_VIDEO_HOST_POLICY;
  const open = (url: string) => openVideo(url, input.task.taskId, { policy, dispatcher: deps.dispatcher, signal, lookup: deps.lookup });
  // A URL this worker read from Kling moments ago saves asking Kling again (RecentVideoUrls); one whose link no longer
  // serves is asked for afresh, as is every URL on another worker. CDN links are temporary and hotlink-protected, and
  // never kept in workflow history.
  const recentUrl = deps.recentUrls?.take(input.task.taskId);
  let res = recentUrl === undefined ? undefined : await open(recentUrl);
  if (res && isExpiredLink(res.statusCode)) {
    ctx.log.info('the video URL read moments ago no longer serves; asking Kling for a fresh one', {
      taskId: input.task.taskId,
      httpStatus: res.statusCode,
    });
    res.body.on('error', () => undefined).destroy();
    res = undefined;
  }
  res ??= await open(await freshVideoUrl(kling, input.task));
  try {
    if (isExpiredLink(res.statusCode))
      throw ApplicationFailure.create({
        type: FailureType.VideoUrlExpired,
        message: `Kling's video URL for task ${input.task.taskId} answered HTTP ${res.statusCode}: the temporary link has expired`,
        nonRetryable: true,
        details: [{ taskId: input.task.taskId, httpStatus: res.statusCode }],
      });
    if (res.statusCode < 200 || res.statusCode >= 300)
      throw ApplicationFailure.create({ type: FailureType.KlingUnavailable, message: `video download answered HTTP ${res.statusCode}` });
    const contentType = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (!contentType.startsWith('video/'))
      throw ApplicationFailure.create({
        type: FailureType.VideoDownloadInvalid,
        message: `expected a video, got content type "${contentType || 'none'}"`,
        nonRetryable: true,
      });
    const lengthHeader = res.headers['content-length'];
    const total = lengthHeader === undefined ? undefined : Number(lengthHeader);
    if (total !== undefined && total > maxBytes)
      throw ApplicationFailure.create({
        type: FailureType.VideoDownloadInvalid,
        message: `video of ${total} bytes exceeds the limit of ${maxBytes}`,
        nonRetryable: true,
      });

    // The Content-Type is only the CDN's word: the first bytes must be an MP4 too, before any upload starts.
    const sniff = sniffMp4(await peekStream(res.body, VIDEO_SNIFF_BYTES, signal));
    if (!sniff.ok)
      throw ApplicationFailure.create({
        type: FailureType.VideoDownloadInvalid,
        message: `the video of Kling task ${input.task.taskId} is not an MP4 although served as "${contentType}": ${sniff.reason}`,
        nonRetryable: true,
        details: [{ taskId: input.task.taskId, reason: 'not-mp4', contentType }],
      });

    const creditsPerUnit = input.plan?.estimate.creditsPerUnit ?? input.creditsPerUnit;
    const creditsActual = input.unitsDeducted === undefined || creditsPerUnit === undefined ? undefined : input.unitsDeducted * creditsPerUnit;
    const metadata: Record<string, string> = Object.fromEntries(
      Object.entries({
        klingTaskId: input.task.taskId,
        externalTaskId: input.task.externalTaskId || undefined,
        klingStandard: input.task.standard,
        model: input.plan?.model,
        kind: input.plan?.kind,
        resolution: input.plan?.resolution,
        durationSeconds: input.plan?.durationSeconds,
        audio: input.plan?.audio,
        promptSha256: input.plan?.promptSha256,
        creditsEstimated: input.plan?.estimate.credits,
        adopted: input.plan ? undefined : true,
        creditsActual,
        workflowId: ctx.info.workflowExecution?.workflowId,
      })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    );
    const stored = await inUploadSpan(storage, input.objectName, () =>
      storage.upload(input.objectName, res.body, {
        contentType,
        metadata,
        expectedSize: total,
        maxBytes,
        signal,
        onProgress: (bytes) => ctx.heartbeat({ phase: 'rehosting', bytes, total } satisfies TransferProgress),
      }),
    );
    deps.onStored?.(stored.size);
    return { ...stored, ...(await permanentUrl(storage, input.objectName)) };
  } catch (err) {
    // Nobody reads the rest: swallow the AbortError that destroying an unread body emits.
    res.body.on('error', () => undefined).destroy();
    if (err instanceof ApplicationFailure) throw err;
    if (signal.aborted) throw err;
    throw storageFailure(err);
  }
}

/** A finished task's video URL, asked of Kling now. */
async function freshVideoUrl(kling: KlingClient, ref: SubmittedTask): Promise<string> {
  const task = await kling.getTask(ref).catch((err: unknown) => {
    throw toActivityFailure(err);
  });
  const video = task?.videos[0];
  if (!task || task.status !== 'succeeded' || !video)
    throw ApplicationFailure.create({
      type: FailureType.VideoDownloadInvalid,
      message: `Kling task ${ref.taskId} has no video to download`,
      nonRetryable: true,
    });
  return video.url;
}

/** Opens the download (openVideoSource), its refusals and network errors as activity failures. */
async function openVideo(url: string, taskId: string, options: OpenVideoOptions & { signal: AbortSignal }): Promise<Dispatcher.ResponseData> {
  try {
    return (await openVideoSource(url, options)).response;
  } catch (err) {
    // The URL itself never appears in messages (it is a temporary, hotlink-protected link): only its host.
    if (err instanceof VideoSourceRefusedError)
      throw ApplicationFailure.create({
        type: FailureType.VideoSourceRefused,
        message: `refused to download the video of Kling task ${taskId}: ${err.message}`,
        nonRetryable: true,
        details: [{ taskId, reason: err.reason, host: err.host }],
      });
    if (options.signal.aborted) throw err;
    throw ApplicationFailure.create({ type: FailureType.KlingUnavailable, message: `video download failed: ${(err as Error).message}` });
  }
}

/** How a CDN answers for a link that has expired or was cleared. */
function isExpiredLink(statusCode: number): boolean {
  return statusCode === 403 || statusCode === 404 || statusCode === 410;
}

function storageFailure(err: unknown): ApplicationFailure {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof SizeLimitError) return ApplicationFailure.create({ type: FailureType.VideoDownloadInvalid, message, nonRetryable: true });
  if (err instanceof StorageConflictError)
    return ApplicationFailure.create({ type: FailureType.StorageVerificationFailed, message, nonRetryable: true });
  if (err instanceof StorageBucketNotFoundError)
    return ApplicationFailure.create({ type: FailureType.StorageBucketNotFound, message, nonRetryable: true, details: [{ bucket: err.bucket }] });
  // A short body or a checksum mismatch stored nothing; a fresh download may succeed.
  if (err instanceof TruncatedUploadError || err instanceof ChecksumMismatchError)
    return ApplicationFailure.create({ type: FailureType.VideoDownloadInvalid, message: `${message} (will retry)` });
  return ApplicationFailure.create({ type: FailureType.KlingUnavailable, message: `transfer failed: ${message}` });
}

/** The object's URL when it is permanent (public, file:); none for expiring signed URLs, which must not enter history. */
async function permanentUrl(storage: VideoStorage, objectName: string): Promise<{ url?: string }> {
  return storage.urlsExpire ? {} : { url: await storage.url(objectName) };
}
