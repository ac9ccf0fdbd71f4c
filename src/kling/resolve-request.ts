import type { z } from 'zod';
import { createModelCatalog, type ApiStandard, type ModelCapabilities, type ModelCatalog, type Resolution, type VideoKind } from './catalog.js';
import { KlingCredentialsError, KlingValidationError, type ValidationIssue } from './errors.js';
import { mediaUrlProblem, STRICT_MEDIA_URL_POLICY, type MediaUrlPolicy } from './media-url.js';
import { audioModeOf, effectivePrompt, MAX_SHOT_CHARS, MAX_SHOTS, omniContentIds, VideoRequest } from './request.js';

/** A request checked against the catalog, with every default decided and the standard chosen. */
export interface ResolvedRequest {
  request: VideoRequest;
  model: ModelCapabilities;
  standard: ApiStandard;
  resolution: Resolution;
  duration: number;
  /** Native audio (what prices differ on); `original` audio is not native. */
  audio: boolean;
  /** Audio as the new wire names it (omni-video sends it explicitly). */
  audioMode?: 'native' | 'original' | 'off';
}

export interface ResolveOptions {
  catalog: ModelCatalog;
  /** Standards the configured credentials can call (API key: both; access/secret keys: legacy). */
  availableStandards: readonly ApiStandard[];
  /** Which standard to use when the model is served by both. */
  preferredStandard: ApiStandard;
  /** Which image URLs may be sent to Kling. Default: public https URLs only. */
  mediaUrlPolicy?: MediaUrlPolicy;
  /**
   * Kinds the legacy standard may carry although the references do not document its body fully (the opt-in switch
   * `KLING_LEGACY_PRODUCTS`, docs/products.md "Which standard"). Default none: omni-video and motion-control go on the
   * new standard only.
   */
  legacyProducts?: readonly LegacyProduct[];
}

/**
 * Validation where no credentials are at hand (a backend calling the Temporal client, the CLI): both
 * standards are assumed reachable; the worker, which holds the credentials, checks the rest. The image-URL
 * policy defaults to the strictest, so nothing accepted here is refused by a worker for its URLs.
 */
export function resolveWithoutCredentials(
  request: unknown,
  catalog: ModelCatalog = createModelCatalog(),
  options: { mediaUrlPolicy?: MediaUrlPolicy; legacyProducts?: readonly LegacyProduct[] } = {},
): ResolvedRequest {
  return resolveRequest(request, {
    catalog,
    availableStandards: ['new', 'legacy'],
    preferredStandard: 'new',
    mediaUrlPolicy: options.mediaUrlPolicy,
    // Like the credentials, the worker's switch is not known here: assumed on, so `standard: 'legacy'` on these
    // kinds passes here and the worker (which knows KLING_LEGACY_PRODUCTS) decides.
    legacyProducts: options.legacyProducts ?? LEGACY_PRODUCTS,
  });
}

/** The decisions validation made, in a flat JSON-friendly shape (workflow plan, CLI output). */
export function resolvedSummary(resolved: ResolvedRequest) {
  return {
    model: resolved.model.id,
    standard: resolved.standard,
    kind: resolved.request.kind,
    resolution: resolved.resolution,
    durationSeconds: resolved.duration,
    audio: resolved.audio,
    ...(resolved.audioMode === undefined ? {} : { audioMode: resolved.audioMode }),
  };
}

const MODE_TO_RESOLUTION = { std: '720p', pro: '1080p', '4k': '4k' } as const;
const LEGACY_PROMPT_MAX = 2500;

/**
 * A field path as text: plain segments joined by `.` (`cameraControl.config`, `dynamicMasks.0.trajectories`);
 * a key that is empty or holds anything but letters, digits, `_`, `$` and `-` is written `["…"]` (JSON-quoted)
 * so every issue names its field unambiguously, whatever keys a caller sends.
 */
export function formatFieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((seg, i) => {
      const key = typeof seg === 'symbol' ? (seg.description ?? 'symbol') : String(seg);
      if (/^[A-Za-z0-9_$-]+$/.test(key)) return i === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}

/** Turns zod issues into field-named issues (`cameraControl.config`, `dynamicMasks.0.trajectories`). */
export function zodIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.flatMap((i) => {
    if (i.code === 'unrecognized_keys') return i.keys.map((key) => ({ field: formatFieldPath([...i.path, key]), message: 'unknown field' }));
    return [{ field: i.path.length > 0 ? formatFieldPath(i.path) : '(request)', message: i.message }];
  });
}

/**
 * Validates a request against the schema, the model catalog, the standard's fields and the
 * mutually exclusive image-to-video features, collecting every problem. Throws
 * KlingValidationError (each issue names its field) or KlingCredentialsError; never sends anything.
 */
export function resolveRequest(input: unknown, options: ResolveOptions): ResolvedRequest {
  const parsed = VideoRequest.safeParse(input);
  if (!parsed.success) throw new KlingValidationError(zodIssues(parsed.error));
  const request = parsed.data;
  const issues: ValidationIssue[] = [];
  const refuse = (field: string, message: string) => issues.push({ field, message });

  const model = options.catalog.find(request.model);
  if (!model) {
    const known = options.catalog.models.filter((m) => !m.discontinued).map((m) => m.id);
    throw new KlingValidationError([{ field: 'model', message: `unknown model "${request.model}"; known: ${known.join(', ')}` }]);
  }
  if (model.discontinued) refuse('model', `${model.id} has been discontinued by Kling`);
  if (!model.kinds.includes(request.kind)) refuse('kind', `${model.id} does not support ${request.kind} (supports: ${model.kinds.join(', ')})`);

  const standard = chooseStandard(request, model, options, refuse);
  const resolution = chooseResolution(request, model, standard, refuse);
  const motion = request.kind === 'motion-control';
  // With shots and no duration, the video lasts as long as the shots do (they must add up to it).
  const shotSeconds = request.multiPrompt?.reduce((sum, shot) => sum + shot.duration, 0);
  const duration = motion ? motionDuration(request, model, refuse) : (request.duration ?? shotSeconds ?? model.defaultDuration);
  if (!motion && !model.durations.includes(duration))
    refuse('duration', `${model.id} supports ${formatRange(model.durations)} seconds, not ${duration}`);
  // Motion control: "original" (the motion video's sound) by default, or off; never native (NEW §1.3).
  const audio = motion ? false : checkAudio(request, model, resolution, refuse);
  const audioMode = motion && request.audio === undefined ? 'original' : audioModeOf(request.audio);

  checkPrompt(request, model, standard, refuse);
  checkLegacyOnlyFields(request, model, standard, refuse);
  if (request.kind === 'image-to-video') checkImageToVideo(request, model, standard, resolution, duration, audio, refuse);
  else if (request.kind === 'text-to-video')
    for (const field of ['image', 'imageTail', 'staticMask', 'dynamicMasks', 'cameraControl'] as const)
      if (request[field] !== undefined && !(field === 'cameraControl' && model.cameraControl?.kinds.includes('text-to-video')))
        refuse(field, 'only available for image-to-video');
  if (request.kind === 'omni-video') checkOmniVideo(request, model, standard, duration, audioMode, refuse);
  if (motion) checkMotionControl(request, model, standard, resolution, audioMode, refuse);
  else
    for (const field of ['motionVideo', 'characterOrientation'] as const)
      if (request[field] !== undefined) refuse(field, 'only available for motion-control');
  if (request.kind !== 'omni-video') {
    for (const field of ['referImages', 'featureVideo', 'baseVideo'] as const)
      if (request[field] !== undefined) refuse(field, 'only available for omni-video');
    if (audioMode === 'original' && !motion)
      refuse('audio', '"original" (the reference video\'s sound) is only available for omni-video and motion-control');
    request.elements?.forEach((e, i) => {
      if (e.type !== undefined) refuse(`elements.${i}.type`, 'element types are only given for omni-video');
    });
  }
  if (standard === 'legacy' && (request.kind === 'omni-video' || motion)) checkLegacyBody(request, refuse);
  if (request.aspectRatio !== undefined && (request.kind === 'image-to-video' || motion))
    refuse('aspectRatio', `${request.kind} takes its aspect ratio from the image`);
  checkVoicesAndElements(request, model, standard, audio, refuse);
  checkMediaUrls(request, options.mediaUrlPolicy ?? STRICT_MEDIA_URL_POLICY, refuse);
  if (request.multiShot !== undefined && !(model.multiShot && standard === 'new' && !motion))
    refuse('multiShot', `not available for ${model.id} on the ${standard} standard`);
  checkMultiShot(request, model, standard, duration, refuse);

  if (issues.length > 0) throw new KlingValidationError(issues);
  return { request, model, standard, resolution, duration, audio, ...(request.kind === 'omni-video' || motion ? { audioMode } : {}) };
}

/** The kinds whose legacy body the references do not fully document: sent on the legacy standard only when opted in. */
export const LEGACY_PRODUCTS = ['omni-video', 'motion-control'] as const;
export type LegacyProduct = (typeof LEGACY_PRODUCTS)[number];
/** The opt-in switch's variable (src/config.ts): `KLING_LEGACY_PRODUCTS=omni-video,motion-control`. */
export const LEGACY_PRODUCTS_VARIABLE = 'KLING_LEGACY_PRODUCTS';

/**
 * Kinds sent on the new standard only unless `legacyProducts` (KLING_LEGACY_PRODUCTS) names them, and why. Kling has
 * legacy paths for both (REF §1.2), but the references do not document a body that could be sent with confidence:
 * the omni body is known from third-party code only (REF §1.2 names `kling-v3-omni` and `kling-video-o1` on
 * `/v1/videos/omni-video`, from one observed create), and the legacy motion-control body (REF §3.4) names no model, so
 * kling-3.0 and kling-2.6 (priced apart, NEW §7.1) are told apart by a `model_name` that only third-party code sends.
 * Opted in, the client sends the bodies docs/products.md describes, each assumption with its source. Tasks created
 * there elsewhere can be looked up and adopted either way (`/v1/videos/omni-video/{id}`, `/v1/videos/motion-control/{id}`).
 */
export const NEW_STANDARD_ONLY_KINDS: Readonly<Partial<Record<VideoKind, string>>> = {
  'omni-video': 'the legacy /v1/videos/omni-video body is known from third-party code only',
  'motion-control': 'the legacy /v1/videos/motion-control body names no model (REF §3.4), so kling-3.0 and kling-2.6 cannot be told apart for sure',
};

const isLegacyProduct = (kind: VideoKind): kind is LegacyProduct => (LEGACY_PRODUCTS as readonly string[]).includes(kind);

function chooseStandard(
  request: VideoRequest,
  model: ModelCapabilities,
  options: ResolveOptions,
  refuse: (f: string, m: string) => void,
): ApiStandard {
  const modelServed: ApiStandard[] = (['new', 'legacy'] as const).filter((s) => model.standards[s]);
  // The standards that serve this model for this kind: omni-video and motion-control go on the new standard only,
  // unless the switch opts their legacy bodies in.
  const optedIn = isLegacyProduct(request.kind) && (options.legacyProducts ?? []).includes(request.kind);
  const newOnly = optedIn ? undefined : NEW_STANDARD_ONLY_KINDS[request.kind];
  const optIn = `${LEGACY_PRODUCTS_VARIABLE}=${request.kind}`;
  const served = newOnly ? modelServed.filter((s) => s === 'new') : modelServed;
  if (request.standard) {
    if (!modelServed.includes(request.standard)) refuse('standard', `${model.id} is not served by the ${request.standard} standard`);
    else if (!served.includes(request.standard))
      refuse(
        'standard',
        `${request.kind} is sent on the new standard only (${newOnly}): drop \`standard\` or set it to "new", or opt in to the legacy body with ${optIn} (docs/products.md)`,
      );
    else if (!options.availableStandards.includes(request.standard)) throw credentialsError(model, request.standard, served, options, true);
    return request.standard;
  }
  const ordered = [...served].sort((a, b) => Number(b === options.preferredStandard) - Number(a === options.preferredStandard));
  const usable = ordered.find((s) => options.availableStandards.includes(s));
  if (!usable) {
    if (newOnly && served.includes('new'))
      throw new KlingCredentialsError(
        `standard: ${request.kind} is sent on Kling's new API standard only (${newOnly}; ${optIn} opts in to the legacy body), which needs an API key (KLING_API_KEY); the configured access/secret keys work only on the legacy standard: configure KLING_API_KEY`,
      );
    throw credentialsError(model, ordered[0] ?? 'new', served, options, false);
  }
  return usable;
}

/**
 * The credentials cannot call `standard`. When the request forced a standard and another standard serving the
 * model is usable, say so: the fix is then to drop `standard`, not to change credentials or model.
 */
function credentialsError(
  model: ModelCapabilities,
  standard: ApiStandard,
  served: readonly ApiStandard[],
  options: ResolveOptions,
  forced: boolean,
): KlingCredentialsError {
  const usableOther = served.find((s) => s !== standard && options.availableStandards.includes(s));
  const needs =
    standard === 'new'
      ? "Kling's new API standard needs an API key (KLING_API_KEY), and the configured credentials have none (access/secret keys work only on the legacy standard)"
      : "Kling's legacy standard needs an API key or access/secret keys, and the configured credentials have neither";
  if (forced && usableOther)
    return new KlingCredentialsError(
      `standard: ${needs}; ${model.id} is also served by the ${usableOther} standard: drop \`standard\` or set it to "${usableOther}"`,
    );
  if (forced) return new KlingCredentialsError(`standard: ${needs}; configure KLING_API_KEY`);
  if (served.length === 1)
    return new KlingCredentialsError(
      standard === 'new'
        ? `${model.id} is served only by Kling's new API standard, which needs an API key (KLING_API_KEY); access/secret keys work only on the legacy standard: configure KLING_API_KEY or choose a model the legacy standard serves`
        : `${model.id} is served only by Kling's legacy standard: ${needs}; configure KLING_API_KEY, or KLING_ACCESS_KEY and KLING_SECRET_KEY`,
    );
  return new KlingCredentialsError(
    `${model.id} is served by both standards, and the configured credentials can call neither: configure KLING_API_KEY (both standards), or KLING_ACCESS_KEY and KLING_SECRET_KEY (legacy)`,
  );
}

function chooseResolution(
  request: VideoRequest,
  model: ModelCapabilities,
  standard: ApiStandard,
  refuse: (f: string, m: string) => void,
): Resolution {
  const fromMode = request.mode ? MODE_TO_RESOLUTION[request.mode] : undefined;
  if (fromMode && request.resolution && fromMode !== request.resolution)
    refuse('mode', `mode "${request.mode}" means ${fromMode}, which contradicts resolution "${request.resolution}"`);
  if (request.mode && standard === 'legacy' && !model.legacyMode) refuse('mode', `${model.id} has a fixed resolution and no mode`);
  const explicit = request.resolution ?? fromMode;
  if (explicit) {
    if (!model.resolutions.includes(explicit))
      refuse(request.resolution ? 'resolution' : 'mode', `${model.id} supports ${model.resolutions.join(', ')}, not ${explicit}`);
    return explicit;
  }
  // Without an explicit choice, take the cheapest resolution that the requested features allow.
  const needs = [
    audioModeOf(request.audio) === 'native' && model.audioResolution,
    request.imageTail !== undefined && model.lastFrameResolutions?.length === 1 && model.lastFrameResolutions[0],
  ].filter((r): r is Resolution => typeof r === 'string');
  return needs[0] ?? model.resolutions[0]!;
}

function checkAudio(request: VideoRequest, model: ModelCapabilities, resolution: Resolution, refuse: (f: string, m: string) => void): boolean {
  const mode = audioModeOf(request.audio);
  if (model.audio === 'always') {
    if (request.audio !== undefined && mode !== 'native') refuse('audio', `${model.id} always generates native audio; it cannot be turned off`);
    return true;
  }
  if (mode !== 'native') return false;
  if (model.audio === 'none') refuse('audio', `${model.id} has no native audio`);
  else if (model.audioResolution && resolution !== model.audioResolution)
    refuse('audio', `native audio on ${model.id} requires resolution ${model.audioResolution}`);
  return model.audio === 'optional';
}

function checkPrompt(request: VideoRequest, model: ModelCapabilities, standard: ApiStandard, refuse: (f: string, m: string) => void): void {
  const max = Math.min(model.promptMaxChars[request.kind] ?? LEGACY_PROMPT_MAX, standard === 'legacy' ? LEGACY_PROMPT_MAX : Infinity);
  if ((request.kind === 'text-to-video' || request.kind === 'omni-video') && !request.prompt?.trim() && !request.multiPrompt)
    refuse('prompt', `required for ${request.kind} (or multiPrompt)`);
  if (request.prompt && request.prompt.length > max) refuse('prompt', `${request.prompt.length} characters exceeds the limit of ${max}`);
  // The shots travel in the prompt on the new standard: together they are held to the prompt's limit.
  const shots = standard === 'new' && request.multiPrompt ? effectivePrompt(request)! : undefined;
  if (shots && shots.length > max)
    refuse('multiPrompt', `the shots take ${shots.length} characters as a prompt ("shot n, m, words;"), over the limit of ${max}`);
}

function checkLegacyOnlyFields(request: VideoRequest, model: ModelCapabilities, standard: ApiStandard, refuse: (f: string, m: string) => void): void {
  const legacyOnly = ['negativePrompt', 'cfgScale', 'cameraControl', 'staticMask', 'dynamicMasks'] as const;
  if (standard === 'new') {
    for (const field of legacyOnly)
      if (request[field] !== undefined)
        refuse(field, `not available on the new API standard${field === 'negativePrompt' ? ' (describe negatives in the prompt)' : ''}`);
    return;
  }
  if (request.negativePrompt !== undefined && !model.negativePrompt) refuse('negativePrompt', `not supported by ${model.id}`);
  if (request.cfgScale !== undefined && !model.cfgScale) refuse('cfgScale', `not supported by ${model.id}`);
}

function checkImageToVideo(
  request: VideoRequest,
  model: ModelCapabilities,
  standard: ApiStandard,
  resolution: Resolution,
  duration: number,
  audio: boolean,
  refuse: (f: string, m: string) => void,
): void {
  // Seed pitfall 6: at most one of these feature groups per request (docs/reference/kling-api.md §3.2).
  const groups = [
    ['imageTail', request.imageTail],
    ['staticMask/dynamicMasks', request.staticMask ?? request.dynamicMasks],
    ['cameraControl', request.cameraControl],
  ].filter(([, v]) => v !== undefined);
  if (groups.length > 1)
    refuse(
      groups.map(([name]) => name).join(', '),
      'mutually exclusive: use only one of end frame (imageTail), motion brush (staticMask/dynamicMasks) or camera control per request',
    );

  if (request.image === undefined && !(standard === 'new' && request.elements)) {
    if (request.imageTail === undefined) refuse('image', 'required for image-to-video (or elements, on the new standard)');
    else if (!(model.lastFrameOnly && standard === 'legacy')) refuse('image', `${model.id} needs a first frame with imageTail`);
  }
  if (request.imageTail !== undefined) {
    if (!model.lastFrameResolutions) refuse('imageTail', `${model.id} does not support an end frame`);
    else if (!model.lastFrameResolutions.includes(resolution))
      refuse('imageTail', `an end frame on ${model.id} needs resolution ${model.lastFrameResolutions.join(' or ')}`);
    else if (model.lastFrameSilentOnly && audio) refuse('imageTail', `an end frame on ${model.id} works only with silent video (audio: false)`);
  }
  const brush = model.motionBrush;
  if ((request.staticMask !== undefined || request.dynamicMasks !== undefined) && standard === 'legacy') {
    const field = request.staticMask !== undefined ? 'staticMask' : 'dynamicMasks';
    if (!brush) refuse(field, `motion brush is not supported by ${model.id}`);
    else if (brush.resolution !== resolution || brush.duration !== duration)
      refuse(field, `${model.id} supports the motion brush only at ${brush.resolution}, ${brush.duration} s`);
  }
  const cc = model.cameraControl;
  if (request.cameraControl !== undefined && standard === 'legacy') {
    if (!cc) refuse('cameraControl', `not supported by ${model.id}`);
    else if (!cc.types.includes(request.cameraControl.type) || cc.resolution !== resolution || cc.duration !== duration)
      refuse('cameraControl', `${model.id} supports camera control only as ${cc.types.join('/')} at ${cc.resolution}, ${cc.duration} s`);
  }
}

function checkVoicesAndElements(
  request: VideoRequest,
  model: ModelCapabilities,
  standard: ApiStandard,
  audio: boolean,
  refuse: (f: string, m: string) => void,
): void {
  if (request.voices) {
    if (!model.voiceControl?.[standard].includes(request.kind))
      refuse('voices', `voice control is not available for ${model.id} ${request.kind} on the ${standard} standard`);
    else if (!audio) refuse('voices', 'voice control needs audio: true');
  }
  if (request.elements && request.kind !== 'omni-video' && request.kind !== 'motion-control') {
    if (standard !== 'new' || request.kind !== 'image-to-video' || model.maxElements === 0)
      refuse(
        'elements',
        `elements are available only for new-standard image-to-video and omni-video on models that take them (not ${model.id} ${request.kind} on the ${standard} standard)`,
      );
    else if (request.elements.length > model.maxElements) refuse('elements', `${model.id} takes at most ${model.maxElements} elements`);
  }
  if (request.kind === 'omni-video') return; // omni ids are checked with the other omni contents
  const ids = [...(request.voices ?? []), ...(request.elements ?? [])].map((x, i) => x.id ?? String(i + 1));
  if (new Set(ids).size !== ids.length) refuse('voices', 'voice and element ids must be unique within a task');
}

/** Every image URL against the policy, before anything is sent (Kling would fetch it). */
function checkMediaUrls(request: VideoRequest, policy: MediaUrlPolicy, refuse: (f: string, m: string) => void): void {
  const images: Array<[PropertyKey[], string | undefined]> = [
    [['image'], request.image],
    [['imageTail'], request.imageTail],
    [['staticMask'], request.staticMask],
    ...(request.dynamicMasks ?? []).map((m, i): [PropertyKey[], string] => [['dynamicMasks', i, 'mask'], m.mask]),
    ...(request.referImages ?? []).map((m, i): [PropertyKey[], string] => [['referImages', i, 'url'], m.url]),
    // Video inputs are URL-only, with the same host policy as images: Kling fetches them too.
    [['featureVideo', 'url'], request.featureVideo?.url],
    [['baseVideo', 'url'], request.baseVideo?.url],
    [['motionVideo'], request.motionVideo],
  ];
  for (const [path, value] of images) {
    const problem = value === undefined ? undefined : mediaUrlProblem(value, policy);
    if (problem) refuse(formatFieldPath(path), problem);
  }
}

function formatRange(values: number[]): string {
  const contiguous = values.every((v, i) => i === 0 || v === values[i - 1]! + 1);
  return contiguous && values.length > 2 ? `${values[0]}–${values.at(-1)}` : values.join(' or ');
}

/** Multi-shot prompt syntax (NEW §1.3): `shot n, m, words;` — 1–6 shots, each m ≥ 1 s, summing to the duration, words ≤ 512. */
const SHOT = /^\s*shot\s*(\d+)\s*,\s*(\d+)\s*,\s*([^;]*?)\s*$/i;

/** Why a multi-shot prompt breaks the documented syntax, or undefined when it follows it. */
export function multiShotPromptProblem(prompt: string, duration: number): string | undefined {
  const parts = prompt.split(';').map((p) => p.trim());
  if (parts.at(-1) === '') parts.pop();
  const syntax = '"shot n, m, words; shot n, m, words;" (m seconds per shot)';
  if (parts.length === 0) return `multiShot needs the prompt syntax ${syntax}`;
  if (parts.length > MAX_SHOTS) return `${parts.length} shots; at most ${MAX_SHOTS}`;
  let total = 0;
  for (const [i, part] of parts.entries()) {
    const m = SHOT.exec(part);
    if (!m) return `shot ${i + 1} ("${part.slice(0, 40)}") does not follow the syntax ${syntax}`;
    const [, n, seconds, words] = m;
    if (Number(n) !== i + 1) return `shot ${i + 1} is numbered ${n}; number the shots 1, 2, … in order`;
    if (Number(seconds) < 1) return `shot ${n} lasts ${seconds} s; each shot lasts at least 1 s`;
    if (!words) return `shot ${n} has no description`;
    if (words.length > MAX_SHOT_CHARS) return `shot ${n} has ${words.length} characters; at most ${MAX_SHOT_CHARS}`;
    total += Number(seconds);
  }
  if (total !== duration) return `the shots last ${total} s in all, but duration is ${duration} s; they must add up to it`;
  return undefined;
}

/** `@image_1`, `@video_1`, `@element_1` tokens the prompt uses (an `@` after a letter or digit, as in an e-mail address, is not one). */
function promptReferences(prompt: string): string[] {
  return [...prompt.matchAll(/(?<![A-Za-z0-9_])@((?:image|video|element)_\d+)\b/g)].map((m) => m[1]!);
}

/** Omni-video contents (NEW §1.3, §3.3 [OFFICIAL OVG, O1]): every documented limit, each naming its field. */
function checkOmniVideo(
  request: VideoRequest,
  model: ModelCapabilities,
  standard: ApiStandard,
  duration: number,
  audioMode: 'native' | 'original' | 'off',
  refuse: (f: string, m: string) => void,
): void {
  const omni = model.omni;
  if (!omni) return; // the kind check has refused it
  const { featureVideo, baseVideo, image, imageTail, referImages = [], elements = [] } = request;
  const video = featureVideo ?? baseVideo;
  if (featureVideo && baseVideo) refuse('baseVideo', 'at most one reference video per task: give featureVideo or baseVideo, not both');
  if (baseVideo) {
    if (image !== undefined) refuse('image', 'a base video (the video to edit) takes no first frame');
    if (imageTail !== undefined) refuse('imageTail', 'a base video (the video to edit) takes no last frame');
  }
  if (imageTail !== undefined && image === undefined) refuse('imageTail', `${model.id} needs a first frame (image) with a last frame`);
  if (omni.bothFramesExclusive && image !== undefined && imageTail !== undefined) {
    if (referImages.length > 0) refuse('referImages', `${model.id} takes no reference images with both a first and a last frame`);
    if (elements.length > 0) refuse('elements', `${model.id} takes no elements with both a first and a last frame`);
  }
  elements.forEach((e, i) => {
    if (e.type === 'video-character' && !omni.videoCharacterElements) refuse(`elements.${i}.type`, `${model.id} supports only multi-image elements`);
  });
  const counted = referImages.length + elements.filter((e) => e.type !== 'video-character').length;
  const max = video ? omni.maxReferences.withVideo : omni.maxReferences.withoutVideo;
  if (counted > max)
    refuse(
      referImages.length > 0 ? 'referImages' : 'elements',
      `${counted} reference images and multi-image elements; ${model.id} takes at most ${max} ${video ? 'with' : 'without'} a reference video`,
    );
  const firstFrameOnly = image !== undefined && imageTail === undefined && counted === 0 && elements.length === 0 && !video;
  if (firstFrameOnly && omni.firstFrameOnlyDurations && !omni.firstFrameOnlyDurations.includes(duration))
    refuse(
      'duration',
      `${model.id} with a first frame and no other reference supports ${omni.firstFrameOnlyDurations.join(' or ')} seconds, not ${duration}`,
    );

  if (featureVideo && audioMode !== 'off') refuse('audio', 'a feature video forces audio off');
  else if (baseVideo && audioMode === 'native') refuse('audio', 'a base video rules out native audio (use "original" or "off")');
  if (audioMode === 'original') {
    if (!omni.originalAudio) refuse('audio', `${model.id} has no "original" audio`);
    else if (!baseVideo) refuse('audio', '"original" keeps the base video\'s sound: it needs baseVideo');
  }

  const ids = omniContentIds(request);
  const all = [...ids.referImages, ...(ids.video ? [ids.video] : []), ...ids.elements];
  const seen = new Set<string>();
  for (const id of all) {
    if (seen.has(id))
      refuse(ids.elements.includes(id) ? 'elements' : 'referImages', `content id "${id}" is used twice; ids must be unique within a task`);
    seen.add(id);
  }
  for (const ref of new Set(promptReferences(effectivePrompt(request) ?? '')))
    if (!seen.has(ref)) refuse('prompt', `refers to @${ref}, but no reference image, video or element has the id "${ref}"`);

  if (omni.aspectRatio === 'require' && request.aspectRatio === undefined && image === undefined && !video)
    refuse('aspectRatio', `required for ${model.id} without a first frame or a reference video`);
}

/**
 * Motion control has no duration field: the output follows the motion video (NEW §1.3), and Kling bills the output's
 * seconds, rounded (MC, UPD 12/22/2025). `duration` is the caller's expected output length, used for the estimate
 * only; without it, the longest video the orientation allows (10 s / 30 s) is assumed, so a budget is never
 * under-estimated.
 */
function motionDuration(request: VideoRequest, model: ModelCapabilities, refuse: (f: string, m: string) => void): number {
  const mc = model.motionControl;
  if (!mc) return model.defaultDuration; // the kind check has refused it
  const orientation = request.characterOrientation ?? 'video';
  const max = mc.maxVideoSeconds[orientation];
  if (request.duration === undefined) return max;
  if (request.duration < mc.minVideoSeconds || request.duration > max)
    refuse(
      'duration',
      `the output follows the motion video, which must last ${mc.minVideoSeconds}–${max} s with characterOrientation "${orientation}", not ${request.duration}`,
    );
  return request.duration;
}

/** Motion control (NEW §1.3, §3.3 [OFFICIAL MC]): each documented limit, naming its field. */
function checkMotionControl(
  request: VideoRequest,
  model: ModelCapabilities,
  standard: ApiStandard,
  resolution: Resolution,
  audioMode: 'native' | 'original' | 'off',
  refuse: (f: string, m: string) => void,
): void {
  const mc = model.motionControl;
  if (!mc) return;
  if (request.image === undefined) refuse('image', 'required for motion-control (the character)');
  if (request.motionVideo === undefined) refuse('motionVideo', 'required for motion-control (the motion to follow)');
  if (request.characterOrientation === undefined)
    refuse('characterOrientation', 'required for motion-control: "image" (motion video ≤ 10 s) or "video" (≤ 30 s)');
  if (!mc.resolutions.includes(resolution))
    refuse('resolution', `motion control on ${model.id} supports ${mc.resolutions.join(', ')}, not ${resolution}`);
  if (audioMode === 'native')
    refuse('audio', 'motion control keeps the motion video\'s sound ("original", the default) or none ("off"); no native audio');
  if (request.elements) {
    if (mc.maxElements === 0) refuse('elements', `motion control on ${model.id} takes no elements`);
    else if (request.elements.length > mc.maxElements) refuse('elements', `motion control on ${model.id} takes at most ${mc.maxElements} element`);
  }
  if (request.imageTail !== undefined) refuse('imageTail', 'not available for motion-control');
}

/**
 * What the legacy omni-video and motion-control bodies cannot carry (KLING_LEGACY_PRODUCTS; docs/products.md). The
 * legacy omni lists (`image_list`, `video_list`, `element_list`, third-party code) hold no content ids: the prompt
 * refers to them by position (`@image_1` is the first reference image), so a chosen `id` is refused. The legacy
 * motion-control body (REF §3.4) has no element field.
 */
function checkLegacyBody(request: VideoRequest, refuse: (f: string, m: string) => void): void {
  const noIds = 'the legacy body carries no content ids (the prompt refers to contents by position, @image_1 for the first)';
  if (request.kind === 'omni-video') {
    request.referImages?.forEach((img, i) => {
      if (img.id !== undefined) refuse(`referImages.${i}.id`, `${noIds}: drop it or send on the new standard`);
    });
    if (request.featureVideo?.id !== undefined) refuse('featureVideo.id', `${noIds}: drop it or send on the new standard`);
    if (request.baseVideo?.id !== undefined) refuse('baseVideo.id', `${noIds}: drop it or send on the new standard`);
    request.elements?.forEach((e, i) => {
      if (e.id !== undefined) refuse(`elements.${i}.id`, `${noIds}: drop it or send on the new standard`);
    });
    return;
  }
  if (request.elements) refuse('elements', 'the legacy motion-control body has no element field (REF §3.4): send on the new standard for elements');
}

/**
 * Multi-shot (NEW §1.3 [OFFICIAL T30, OVG]: kling-3.0 text/image-to-video and kling-3.0-omni; REF §3.1 [3P]: the
 * legacy kling-v3 `multi_prompt`): `multiPrompt` where the model and standard have it, its shots adding up to the
 * duration, each naming its own field (`multiPrompt.2.duration`); and, when `multiShot` is true, a `prompt` written in
 * the shot syntax (omni: any prompt, unless the catalog's `omni.multiShotPromptSyntax` switch is off).
 */
function checkMultiShot(
  request: VideoRequest,
  model: ModelCapabilities,
  standard: ApiStandard,
  duration: number,
  refuse: (f: string, m: string) => void,
): void {
  const shots = request.multiPrompt;
  const kindHasShots = request.kind === 'text-to-video' || request.kind === 'image-to-video' || request.kind === 'omni-video';
  if (shots) {
    // Legacy multi_prompt: kling-v3 text/image-to-video, and kling-v3-omni when opted in (REF §3.1 [3P], live-confirmed on omni).
    if (!model.multiShot || !kindHasShots)
      refuse(
        'multiPrompt',
        `multi-shot is not available for ${model.id} ${request.kind} on the ${standard} standard (kling-3.0 text/image-to-video, kling-3.0-omni)`,
      );
    if (request.prompt !== undefined) refuse('prompt', 'give either prompt or multiPrompt (the shots are the prompt)');
    if (request.multiShot === false) refuse('multiShot', 'multiPrompt is a multi-shot request: drop multiShot: false');
    shots.forEach((shot, i) => {
      // On the new standard the shots are joined as "shot n, m, words;": a ";" inside would end the shot early.
      if (standard === 'new' && shot.prompt.includes(';'))
        refuse(`multiPrompt.${i}.prompt`, 'must not contain ";" (it ends a shot in the prompt syntax)');
    });
    const total = shots.reduce((sum, shot) => sum + shot.duration, 0);
    if (total !== duration)
      refuse(`multiPrompt.${shots.length - 1}.duration`, `the shots last ${total} s in all, but duration is ${duration} s; they must add up to it`);
    return;
  }
  // Omni: every multi-shot prompt, unless the switch is off. Text/image-to-video: a prompt written as shots only, since
  // Kling's own default is multi_shot true with any prompt (a plain prompt then lets Kling cut the shots).
  const writtenAsShots = /^\s*shot\s*\d/i.test(request.prompt ?? '');
  const syntaxChecked = request.kind === 'omni-video' ? (model.omni?.multiShotPromptSyntax ?? true) : writtenAsShots;
  if (request.multiShot === true && model.multiShot && standard === 'new' && kindHasShots && syntaxChecked && request.prompt) {
    const problem = multiShotPromptProblem(request.prompt, duration);
    if (problem) refuse('prompt', problem);
  }
}
