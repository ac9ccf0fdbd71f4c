import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Command } from 'commander';
import { resolvedSummary, resolveWithoutCredentials, type ResolvedRequest, type ValidationIssue } from '../kling/index.js';
import { CliError } from './exit-codes.js';

/** The request flags shared by generate, validate, estimate (and lint's --request). */
export interface RequestFlags {
  request?: string;
  model?: string;
  kind?: string;
  prompt?: string;
  negativePrompt?: string;
  cfgScale?: string;
  duration?: string;
  resolution?: string;
  mode?: string;
  aspectRatio?: string;
  audio?: boolean;
  multiShot?: boolean;
  shot?: string[];
  image?: string;
  imageTail?: string;
  standard?: string;
  voice?: string[];
  element?: string[];
  referImage?: string[];
  featureVideo?: string;
  baseVideo?: string;
  motionVideo?: string;
  characterOrientation?: string;
  audioMode?: string;
  callbackUrl?: string;
  watermark?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function addRequestOptions(cmd: Command): Command {
  return cmd
    .option('--request <file>', 'read the request from a JSON file (camelCase fields, as in the README); flags override its fields')
    .option('-m, --model <id>', 'model id or alias, e.g. kling-2.6, kling-3.0, kling-3.0-turbo, kling-v1-6')
    .option(
      '-k, --kind <kind>',
      'text-to-video | image-to-video | omni-video | motion-control (default: motion-control with --motion-video, omni-video with --refer-image/--feature-video/--base-video, image-to-video with --image, else text-to-video)',
    )
    .option('-p, --prompt <text>', 'the prompt')
    .option('--negative-prompt <text>', 'negative prompt (legacy standard only)')
    .option('--cfg-scale <n>', 'cfg scale in [0, 1] (legacy kling-v1.x only)')
    .option('-d, --duration <seconds>', 'video length in seconds (the model decides which are allowed)')
    .option('-r, --resolution <res>', '720p | 1080p | 4k')
    .option('--mode <mode>', 'legacy vocabulary for --resolution: std (720p) | pro (1080p) | 4k')
    .option('--aspect-ratio <ratio>', '16:9 | 9:16 | 1:1 (text-to-video)')
    .option('--audio', 'native audio on')
    .option('--no-audio', 'native audio off')
    .option('--multi-shot', 'multi-shot (kling-3.0, new standard)')
    .option(
      '--shot <seconds:words>',
      'one shot of a multi-shot video, e.g. "2:A fox trots across snow" (repeatable, 1–6; kling-3.0, kling-3.0-omni; replaces --prompt; the duration defaults to their sum)',
      collect,
    )
    .option('--image <url|base64|file>', 'first frame: an https URL, raw base64, or a local file (read and base64-encoded)')
    .option('--image-tail <url|base64|file>', 'last frame (same forms as --image)')
    .option('--standard <standard>', 'force the API standard: new | legacy (default: new where both serve the model)')
    .option('--voice <voiceId>', 'voice control (repeatable, at most 2; needs --audio)', collect)
    .option('--element <elementId>', 'element (repeatable; kling-3.0 image-to-video ≤ 3, omni-video, motion-control ≤ 1)', collect)
    .option('--refer-image <url|base64|file>', 'omni-video reference image (repeatable; the prompt names them @image_1, @image_2, …)', collect)
    .option('--feature-video <url>', 'omni-video reference video (URL only; @video_1; forces audio off)')
    .option('--base-video <url>', 'omni-video video to edit (URL only; @video_1; no frames, no native audio)')
    .option('--motion-video <url>', 'motion-control: the video whose motion the character (--image) follows (URL only)')
    .option('--character-orientation <from>', 'motion-control (required): image | video')
    .option('--audio-mode <mode>', "native | original | off (original: the reference/motion video's sound; omni-video, motion-control)")
    .option('--callback-url <url>', "Kling's callback URL")
    .option('--watermark', 'ask for a watermarked result')
    .option('--no-watermark', 'no watermark');
}

function readRequestFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw CliError.invalid([{ field: 'request', message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw CliError.invalid([{ field: 'request', message: `${file} is not valid JSON: ${(err as Error).message}` }]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw CliError.invalid([{ field: 'request', message: `${file} must hold a JSON object` }]);
  return parsed as Record<string, unknown>;
}

const IMAGE_FORMS = 'give an http(s) URL, raw base64, or the path of an existing image file';

/**
 * A local file becomes raw base64 (Kling accepts no `data:` prefix); URLs and base64 pass through. A value that is
 * neither a URL, nor an existing file, nor base64 (`foo.png`: base64 has no ".") is taken for a missing file, so the
 * error says so instead of the request schema's "must be an http(s) URL or raw base64". Issues name the flag.
 */
function imageValue(value: string, flag: string): string {
  if (/^https?:\/\//i.test(value)) return value;
  if (value.length < 4096 && existsSync(value)) {
    try {
      return readFileSync(value).toString('base64');
    } catch (err) {
      throw CliError.invalid([{ field: flag, message: `cannot read ${value}: ${(err as Error).message}; ${IMAGE_FORMS}` }]);
    }
  }
  if (!/^data:/i.test(value) && !/^[A-Za-z0-9+/]+={0,2}$/.test(value))
    throw CliError.invalid([
      { field: flag, message: `file not found: ${isAbsolute(value) ? value : `${value} (in ${process.cwd()})`}; ${IMAGE_FORMS}` },
    ]);
  return value;
}

/** `--shot "2:A fox trots across snow"` → `{ duration: 2, prompt: 'A fox trots across snow' }` (multiPrompt). */
function shotValue(value: string, index: number): { duration: number; prompt: string } {
  const match = /^\s*(\d+)\s*:\s*([\s\S]+)$/.exec(value);
  if (!match) throw CliError.invalid([{ field: `--shot[${index}]`, message: 'give "<seconds>:<words>", e.g. "2:A fox trots across snow"' }]);
  return { duration: Number(match[1]), prompt: match[2]! };
}

function numberOrText(value: string): number | string {
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
}

/** The request object from --request and the flags (flags win). Not validated yet. */
export function buildRequest(flags: RequestFlags): Record<string, unknown> {
  const request: Record<string, unknown> = flags.request ? readRequestFile(flags.request) : {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) request[key] = value;
  };
  set('model', flags.model);
  set('prompt', flags.prompt);
  set('negativePrompt', flags.negativePrompt);
  set('cfgScale', flags.cfgScale === undefined ? undefined : numberOrText(flags.cfgScale));
  set('duration', flags.duration);
  set('resolution', flags.resolution);
  set('mode', flags.mode);
  set('aspectRatio', flags.aspectRatio);
  set('audio', flags.audio);
  set('multiShot', flags.multiShot);
  set('multiPrompt', flags.shot?.map(shotValue));
  set('image', flags.image === undefined ? undefined : imageValue(flags.image, '--image'));
  set('imageTail', flags.imageTail === undefined ? undefined : imageValue(flags.imageTail, '--image-tail'));
  set('standard', flags.standard);
  set(
    'voices',
    flags.voice?.map((voiceId) => ({ voiceId })),
  );
  set(
    'elements',
    flags.element?.map((elementId) => ({ elementId })),
  );
  set(
    'referImages',
    flags.referImage?.map((url, i) => ({ url: imageValue(url, `--refer-image[${i}]`) })),
  );
  set('featureVideo', flags.featureVideo === undefined ? undefined : { url: flags.featureVideo });
  set('baseVideo', flags.baseVideo === undefined ? undefined : { url: flags.baseVideo });
  set('motionVideo', flags.motionVideo);
  set('characterOrientation', flags.characterOrientation);
  set('audio', flags.audioMode);
  set('callbackUrl', flags.callbackUrl);
  set('watermark', flags.watermark);
  set('kind', flags.kind);
  if (request.kind === undefined)
    request.kind =
      request.motionVideo !== undefined
        ? 'motion-control'
        : request.referImages !== undefined || request.featureVideo !== undefined || request.baseVideo !== undefined
          ? 'omni-video'
          : request.image !== undefined
            ? 'image-to-video'
            : 'text-to-video';
  return request;
}

/** Validates like the client does: default catalog, both standards assumed available (the worker checks credentials). */
export const resolveLocally = (request: unknown): ResolvedRequest => resolveWithoutCredentials(request);
export { resolvedSummary };

export type { ValidationIssue };
