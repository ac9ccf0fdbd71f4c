/**
 * Validation of new-standard create bodies (`POST /text-to-video/{model}`, `POST /image-to-video/{model}`),
 * NEW §1.3, §3.1 and §3.2. Everything rejected answers HTTP 400 / code 1201 with a message naming the field.
 *
 * Switches: a field the model does not have is treated like an unknown field (`rejectUnknownFields`); value
 * combinations the references mark as unsupported but unobserved follow `strictCapabilities`.
 */
import { z } from 'zod';
import type { NewModelCapabilities } from './capabilities.js';
import { invalidParameter } from './errors.js';
import { imageInputSchema } from './image-input.js';
import { shotProblem } from './multi-shot.js';
import type { Product, Resolution, TaskSpec } from './task-spec.js';

/** The products this file validates; omni-video and motion-control have their own (omni-validation.ts, motion-validation.ts). */
export type FrameProduct = Exclude<Product, 'omni-video' | 'motion-control'>;
import { dropNulls, httpUrlSchema, objectSchema, zodErrorToKlingError } from './validation-errors.js';

export interface NewValidationSettings {
  readonly strictCapabilities: boolean;
  readonly rejectUnknownFields: boolean;
  /** NEW §8: a string `settings.duration` is 1201 by default (unobserved). */
  readonly acceptStringDuration: boolean;
  /** NEW §8: a `data:` prefix is 1201 by default (unobserved). */
  readonly acceptDataUriImages: boolean;
}

const NEW_IMAGE_MAX_BYTES = 50 * 1024 * 1024; // NEW §1.3: "≤ 50MB (legacy: 10 MB)"
const CONTENT_TYPES = ['prompt', 'first_frame', 'last_frame', 'element', 'voice'] as const;

/**
 * The pieces every new-standard create body is built from, per the simulator's settings: objects that refuse
 * unknown fields (or not), a non-empty string, the integer duration (NEW §8 pitfall 1 reversed: a string is
 * rejected unless configured otherwise) and an image input (URL, raw base64 or, when accepted, a data URI).
 */
export function newBodyParts(settings: NewValidationSettings) {
  const obj = <T extends z.ZodRawShape>(shape: T) => objectSchema(shape, settings.rejectUnknownFields);
  const nonEmpty = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });
  const integerDuration = z
    .number({ error: (issue) => (typeof issue.input === 'string' ? 'must be an integer such as 5, not a string' : 'must be an integer') })
    .int({ error: 'must be an integer' });
  const duration = settings.acceptStringDuration
    ? z.preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value), integerDuration)
    : integerDuration;
  const image = imageInputSchema({ maxBytes: NEW_IMAGE_MAX_BYTES, allowDataUri: settings.acceptDataUriImages });
  return { obj, nonEmpty, duration, image };
}

function buildSchemas(settings: NewValidationSettings) {
  const { obj, nonEmpty, duration, image } = newBodyParts(settings);
  const settingsShape = {
    resolution: z.enum(['720p', '1080p', '4k'], { error: 'must be one of "720p", "1080p", "4k"' }).optional(),
    duration: duration.optional(),
    audio: z.enum(['native', 'off'], { error: 'must be "native" or "off"' }).optional(),
    multi_shot: z.boolean({ error: 'must be a boolean' }).optional(),
  };
  const options = obj({
    callback_url: httpUrlSchema.optional(),
    external_task_id: nonEmpty.optional(),
    watermark_info: obj({ enabled: z.boolean({ error: 'must be a boolean' }).optional() }).optional(),
  });
  const content = z.discriminatedUnion(
    'type',
    [
      obj({ type: z.literal('prompt'), text: z.string({ error: 'must be a string' }) }),
      obj({ type: z.literal('first_frame'), url: image }),
      obj({ type: z.literal('last_frame'), url: image }),
      obj({ type: z.literal('element'), element_id: nonEmpty, id: nonEmpty }),
      obj({ type: z.literal('voice'), voice_id: nonEmpty, id: nonEmpty }),
    ],
    { error: `must be one of ${CONTENT_TYPES.map((t) => `"${t}"`).join(', ')}` },
  );
  return {
    'text-to-video': obj({
      prompt: z.string({ error: 'is required and must be a string' }),
      // NEW §3.1: aspect_ratio exists on T2V only ("I2V takes it from the frame").
      settings: obj({
        ...settingsShape,
        aspect_ratio: z.enum(['16:9', '9:16', '1:1'], { error: 'must be one of "16:9", "9:16", "1:1"' }).optional(),
      }).optional(),
      options: options.optional(),
    }),
    'image-to-video': obj({
      contents: z.array(content, { error: 'is required and must be an array' }).min(1, { error: 'must not be empty' }),
      settings: obj(settingsShape).optional(),
      options: options.optional(),
    }),
  };
}

type Schemas = ReturnType<typeof buildSchemas>;
type T2VBody = z.infer<Schemas['text-to-video']>;
type I2VBody = z.infer<Schemas['image-to-video']>;
type Settings = NonNullable<T2VBody['settings']>;
type Content = I2VBody['contents'][number];

const schemaCache = new Map<string, Schemas>();
function schemasFor(settings: NewValidationSettings): Schemas {
  const key = JSON.stringify([settings.rejectUnknownFields, settings.acceptStringDuration, settings.acceptDataUriImages]);
  let schemas = schemaCache.get(key);
  if (schemas === undefined) {
    schemas = buildSchemas(settings);
    schemaCache.set(key, schemas);
  }
  return schemas;
}

/** Validates a new-standard create body for an existing model, or throws a 400/1201 `KlingApiError`. */
export function validateNewCreate(
  product: FrameProduct,
  modelId: string,
  caps: NewModelCapabilities,
  rawBody: Record<string, unknown>,
  settings: NewValidationSettings,
): TaskSpec {
  const input = dropNulls(rawBody);
  for (const nested of ['settings', 'options'] as const) {
    const value = input[nested];
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) input[nested] = dropNulls(value as Record<string, unknown>);
  }
  const schemas = schemasFor(settings);
  if (product === 'text-to-video') {
    const parsed = schemas['text-to-video'].safeParse(input);
    if (!parsed.success) throw zodErrorToKlingError(parsed.error);
    const body = parsed.data;
    return new NewCreateChecker(product, modelId, caps, settings, { ...(body.settings ?? {}) }, body.prompt, [], body.options, body).check();
  }
  const parsed = schemas['image-to-video'].safeParse(input);
  if (!parsed.success) throw zodErrorToKlingError(parsed.error);
  const body = parsed.data;
  const prompt = body.contents.find((item) => item.type === 'prompt');
  return new NewCreateChecker(
    product,
    modelId,
    caps,
    settings,
    { ...(body.settings ?? {}) },
    prompt?.type === 'prompt' ? prompt.text : undefined,
    body.contents,
    body.options,
    body,
  ).check();
}

class NewCreateChecker {
  private resolution: Resolution = '720p';
  private audio = false;

  constructor(
    private readonly product: FrameProduct,
    private readonly modelId: string,
    private readonly caps: NewModelCapabilities,
    private readonly settings: NewValidationSettings,
    private readonly modelSettings: Settings,
    private readonly prompt: string | undefined,
    private readonly contents: readonly Content[],
    private readonly options: T2VBody['options'],
    private readonly body: T2VBody | I2VBody,
  ) {}

  check(): TaskSpec {
    this.checkPrompt();
    this.checkResolution();
    const durationSeconds = this.checkDuration();
    this.checkAudio();
    this.checkMultiShot(durationSeconds);
    const voices = this.checkContents();
    return {
      standard: 'new',
      product: this.product,
      model: this.modelId,
      mode: undefined,
      resolution: this.resolution,
      durationSeconds,
      audio: this.audio,
      voiceControl: voices > 0,
      prompt: this.prompt,
      externalId: this.options?.external_task_id,
      callbackUrl: this.options?.callback_url,
      watermark: this.options?.watermark_info?.enabled === true,
      body: { ...this.body, ...(this.body.settings === undefined ? {} : { settings: this.modelSettings }) },
    };
  }

  /** A settings field this model does not have: treated like an unknown field. */
  private fieldTheModelLacks(field: keyof Settings, message: string): void {
    if (this.settings.rejectUnknownFields) throw invalidParameter(message);
    delete this.modelSettings[field];
  }

  /** A combination the references call unsupported without a live observation: 1201 when strict. */
  private unsupportedCombination(message: string): boolean {
    if (this.settings.strictCapabilities) throw invalidParameter(message);
    return false;
  }

  /** NEW §3.1: prompt required on T2V; NEW §1.3: ≤ 2500, or 3072 for kling-3.0-turbo T2V and kling-3.0. */
  private checkPrompt(): void {
    const max = this.caps.promptMaxChars[this.product];
    const field = this.product === 'text-to-video' ? 'prompt' : 'contents[].text';
    if (this.product === 'text-to-video' && (this.prompt === undefined || this.prompt.trim() === '')) {
      throw invalidParameter('prompt is required and must not be empty');
    }
    if (this.prompt !== undefined && this.prompt.length > max) {
      throw invalidParameter(`${field} must be at most ${max} characters for ${this.modelId}`);
    }
  }

  /** NEW §1.3: per-model resolutions, default 720p. */
  private checkResolution(): void {
    const requested = this.modelSettings.resolution;
    if (requested !== undefined && !this.caps.resolutions.includes(requested)) {
      throw invalidParameter(`settings.resolution must be one of ${quote(this.caps.resolutions)} for ${this.modelId}`);
    }
    this.resolution = requested ?? this.caps.resolutions[0] ?? '720p';
  }

  /** NEW §1.3: integer seconds in the model's range, default 5. */
  private checkDuration(): number {
    const requested = this.modelSettings.duration;
    if (requested === undefined) return 5;
    if (!this.caps.durations.includes(requested)) {
      const allowed = this.caps.durations;
      const range = allowed.length > 2 ? `an integer from ${allowed[0]} to ${allowed[allowed.length - 1]}` : `one of ${allowed.join(', ')}`;
      throw invalidParameter(`settings.duration must be ${range} for ${this.modelId}`);
    }
    return requested;
  }

  /** NEW §1.3: audio is always on for 3.0-turbo (no field), a field on 3.0/2.6, absent on 2.5-turbo. */
  private checkAudio(): void {
    const requested = this.modelSettings.audio;
    if (this.caps.audio === 'always') {
      if (requested !== undefined) this.fieldTheModelLacks('audio', `settings.audio is not supported by ${this.modelId} (audio is always generated)`);
      this.audio = true;
      return;
    }
    if (this.caps.audio === 'none') {
      if (requested !== undefined) this.fieldTheModelLacks('audio', `settings.audio is not supported by ${this.modelId}`);
      return;
    }
    this.audio = requested === 'native';
    const allowed = this.caps.nativeAudioResolutions;
    if (this.audio && allowed !== null && !allowed.includes(this.resolution)) {
      // NEW §1.3: "native audio means 1080p only" on 2.6; lenient mode follows NEW §8 "forces 1080p".
      this.unsupportedCombination(`settings.audio "native" on ${this.modelId} requires settings.resolution ${quote(allowed)}`);
      this.resolution = allowed[0] ?? this.resolution;
    }
  }

  /**
   * NEW §1.3: `settings.multi_shot` exists only on kling-3.0, where it defaults to true; a prompt written as shots
   * (`shot n, m, words;`) must then follow the syntax: 1–6 shots, each ≥ 1 s, summing to the duration, ≤ 512 characters.
   */
  private checkMultiShot(durationSeconds: number): void {
    if (this.modelSettings.multi_shot !== undefined && !this.caps.multiShot) {
      this.fieldTheModelLacks('multi_shot', `settings.multi_shot is only supported by kling-3.0`);
    }
    const multiShot = this.caps.multiShot && this.modelSettings.multi_shot !== false;
    if (multiShot && this.prompt !== undefined && /^\s*shot\s*\d/i.test(this.prompt)) {
      const problem = shotProblem(this.prompt, durationSeconds);
      const field = this.product === 'text-to-video' ? 'prompt' : 'contents[].text';
      if (problem !== undefined) throw invalidParameter(`${field}: ${problem}`);
    }
  }

  /** NEW §3.2: content types per model, first/last frame rules, elements and voices. Returns the voice count. */
  private checkContents(): number {
    if (this.product !== 'image-to-video') return 0;
    const count = (type: Content['type']) => this.contents.filter((item) => item.type === type).length;
    this.contents.forEach((item, index) => {
      if (!this.caps.contentTypes.includes(item.type)) {
        const hint = item.type === 'last_frame' ? ' ("First Frame + Last Frame and Last Frame-only are not supported yet")' : '';
        throw invalidParameter(
          `contents[${index}].type "${item.type}" is not supported by ${this.modelId}; must be one of ${quote(this.caps.contentTypes)}${hint}`,
        );
      }
    });
    for (const single of ['prompt', 'first_frame', 'last_frame'] as const) {
      if (count(single) > 1) throw invalidParameter(`contents must not contain more than one "${single}"`);
    }
    const hasFirst = count('first_frame') === 1;
    const hasLast = count('last_frame') === 1;
    if (hasLast && !hasFirst) throw invalidParameter('contents: last_frame requires a first_frame (last-frame-only is not supported)');
    if (!hasFirst && count('element') === 0) throw invalidParameter('contents must include a first_frame');
    if (hasFirst && hasLast) {
      const allowed = this.caps.firstLastResolutions;
      if (allowed !== null && !allowed.includes(this.resolution)) {
        this.unsupportedCombination(`first_frame + last_frame on ${this.modelId} requires settings.resolution ${quote(allowed)}`);
      }
      if (this.caps.firstLastSilentOnly && this.audio) {
        this.unsupportedCombination(`first_frame + last_frame on ${this.modelId} only supports silent video (settings.audio "off")`);
      }
    }
    if (count('element') > this.caps.maxElements) throw invalidParameter(`contents must not contain more than ${this.caps.maxElements} elements`);
    const voices = count('voice');
    if (voices > this.caps.maxVoices) throw invalidParameter(`contents must not contain more than ${this.caps.maxVoices} voices`);
    if (voices > 0 && !this.audio) throw invalidParameter('voice contents require settings.audio "native"');
    const ids = this.contents.flatMap((item) => (item.type === 'element' || item.type === 'voice' ? [item.id] : []));
    if (new Set(ids).size !== ids.length) throw invalidParameter('contents[].id must be unique within a task');
    return voices;
  }
}

function quote(values: readonly (string | number)[]): string {
  return values.map((value) => `"${value}"`).join(', ');
}
