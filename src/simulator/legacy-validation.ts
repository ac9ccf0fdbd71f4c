/**
 * Validation of legacy create bodies (`POST /v1/videos/text2video|image2video`), REF §3.1–§3.5 plus the
 * NEW §1.3 legacy table. Everything rejected answers HTTP 400 / code 1201 with a message naming the field.
 */
import { z } from 'zod';
import { legacyModel, legacyModelsFor, type LegacyModelCapabilities } from './capabilities.js';
import { invalidParameter } from './errors.js';
import { imageInputSchema } from './image-input.js';
import { productOfFamily, type LegacyFamily, type Resolution, type TaskSpec } from './task-spec.js';
import { dropNulls, httpUrlSchema, objectSchema, zodErrorToKlingError } from './validation-errors.js';

export interface LegacyValidationSettings {
  readonly strictCapabilities: boolean;
  readonly rejectUnknownFields: boolean;
}

const PROMPT_MAX_CHARS = 2500; // REF §3.1: "≤ 2500 characters" (S4 changelog 2024-09-19)
const LEGACY_IMAGE_RULES = { maxBytes: 10 * 1024 * 1024, allowDataUri: false } as const; // REF §3.2
const CAMERA_TYPES = ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'] as const; // REF §3.3
const CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'] as const;
// REF §3.2: the documented discontinued default; using the old `model` field means "call the V1 model" (REF §3.1).
const DEFAULT_MODEL_NAME = 'kling-v1';

/** Fields each family's create accepts (REF §3.1, §3.2). */
const COMMON_FIELDS = [
  'model_name',
  'model',
  'prompt',
  'negative_prompt',
  'cfg_scale',
  'mode',
  'sound',
  'voice_list',
  'camera_control',
  'duration',
  'watermark_info',
  'callback_url',
  'external_task_id',
  'multi_shot',
  'shot_type',
  'multi_prompt',
] as const;
const FAMILY_FIELDS: Record<LegacyFamily, readonly string[]> = {
  text2video: [...COMMON_FIELDS, 'aspect_ratio'],
  image2video: [...COMMON_FIELDS, 'image', 'image_tail', 'static_mask', 'dynamic_masks'],
  'omni-video': [], // not routed: the legacy omni body is undocumented (REF §1.2 names only the path)
  'motion-control': [], // not routed: legacy motion control is not simulated
};

const text = (max: number) => z.string({ error: 'must be a string' }).max(max, { error: `must be at most ${max} characters` });

function buildLegacyBodySchema(rejectUnknown: boolean) {
  const obj = <T extends z.ZodRawShape>(shape: T) => objectSchema(shape, rejectUnknown);
  const axis = z
    .number({ error: 'must be a number in [-10, 10]' })
    .min(-10, { error: 'must be in [-10, 10]' })
    .max(10, { error: 'must be in [-10, 10]' });
  const image = imageInputSchema(LEGACY_IMAGE_RULES);
  return z.object({
    model_name: z.string({ error: 'must be a string' }).optional(),
    model: z.string({ error: 'must be a string' }).optional(),
    prompt: text(PROMPT_MAX_CHARS).optional(),
    negative_prompt: text(PROMPT_MAX_CHARS).optional(),
    cfg_scale: z
      .number({ error: 'must be a number in [0, 1]' })
      .min(0, { error: 'must be in [0, 1]' })
      .max(1, { error: 'must be in [0, 1]' })
      .optional(),
    // The enum depends on the model (REF §3.1: `4k` only on v3), so it is checked later with the model known.
    mode: z.string({ error: 'must be a string: "std" or "pro"' }).optional(),
    sound: z.enum(['on', 'off'], { error: 'must be "on" or "off"' }).optional(),
    voice_list: z
      .array(obj({ voice_id: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }) }), {
        error: 'must be an array of {voice_id}',
      })
      .max(2, { error: 'must contain at most 2 voices' })
      .optional(),
    camera_control: obj({
      type: z.enum(CAMERA_TYPES, { error: `must be one of ${CAMERA_TYPES.map((t) => `"${t}"`).join(', ')}` }),
      config: obj(
        Object.fromEntries(CAMERA_AXES.map((name) => [name, axis.optional()])) as Record<(typeof CAMERA_AXES)[number], z.ZodOptional<typeof axis>>,
      )
        .nullable()
        .optional(),
    }).optional(),
    aspect_ratio: z.enum(['16:9', '9:16', '1:1'], { error: 'must be one of "16:9", "9:16", "1:1"' }).optional(),
    // Seed pitfall 1 / REF §3.1: duration is a STRING; an integer is rejected.
    duration: z
      .string({
        error: (issue) =>
          typeof issue.input === 'number' ? 'must be a string such as "5" or "10", not a number' : 'must be a string such as "5" or "10"',
      })
      .optional(),
    watermark_info: obj({ enabled: z.boolean({ error: 'must be a boolean' }).optional() }).optional(),
    callback_url: httpUrlSchema.optional(),
    external_task_id: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).optional(),
    multi_shot: z.boolean({ error: 'must be a boolean' }).optional(),
    shot_type: z.enum(['customize', 'intelligence'], { error: 'must be "customize" or "intelligence"' }).optional(),
    multi_prompt: z
      .array(
        obj({
          index: z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' }),
          prompt: text(512),
          duration: z
            .string({ error: 'must be a string such as "2"' })
            .regex(/^[1-9]\d*$/, { error: 'must be a whole number of seconds as a string' }),
        }),
        { error: 'must be an array' },
      )
      .min(1, { error: 'must contain 1 to 6 shots' })
      .max(6, { error: 'must contain 1 to 6 shots' })
      .optional(),
    image: image.optional(),
    image_tail: image.optional(),
    static_mask: image.optional(),
    dynamic_masks: z
      .array(
        obj({
          mask: image,
          trajectories: z
            .array(
              obj({
                x: z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' }),
                y: z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' }),
              }),
              { error: 'must be an array of {x, y}' },
            )
            .min(2, { error: 'must hold 2 to 77 points' })
            .max(77, { error: 'must hold 2 to 77 points' }),
        }),
        { error: 'must be an array' },
      )
      .min(1, { error: 'must contain 1 to 6 groups' })
      .max(6, { error: 'must contain at most 6 groups' })
      .optional(),
  });
}

const STRICT_SCHEMA = buildLegacyBodySchema(true);
const LENIENT_SCHEMA = buildLegacyBodySchema(false);

/** A structurally valid legacy create body. */
export type LegacyCreateBody = z.infer<typeof STRICT_SCHEMA>;

/** Validates a legacy create body and returns the task it describes, or throws a 400/1201 `KlingApiError`. */
export function validateLegacyCreate(family: LegacyFamily, rawBody: Record<string, unknown>, settings: LegacyValidationSettings): TaskSpec {
  const input = dropNulls(rawBody);
  const allowed = FAMILY_FIELDS[family];
  const unknown = Object.keys(input).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    if (settings.rejectUnknownFields) {
      throw invalidParameter(`Unknown parameter${unknown.length > 1 ? 's' : ''}: ${unknown.map((k) => `'${k}'`).join(', ')} (not part of ${family})`);
    }
    for (const key of unknown) delete input[key];
  }
  const parsed = (settings.rejectUnknownFields ? STRICT_SCHEMA : LENIENT_SCHEMA).safeParse(input);
  if (!parsed.success) throw zodErrorToKlingError(parsed.error);
  return new LegacyCreateChecker(family, { ...parsed.data }, settings.strictCapabilities).check();
}

/** Capability checks that need the model: one method per rule so each cites its reference. */
class LegacyCreateChecker {
  private readonly modelName: string;
  private readonly caps: LegacyModelCapabilities;
  private mode: string | undefined;
  private duration = '5';
  private audio = false;

  constructor(
    private readonly family: LegacyFamily,
    private readonly body: LegacyCreateBody,
    private readonly strict: boolean,
  ) {
    // REF §3.1: model_name defaults to kling-v1, which NEW §1.2 observed discontinued — so omitting it fails.
    this.modelName = body.model_name ?? DEFAULT_MODEL_NAME;
    const caps = legacyModel(this.modelName);
    const enumText = legacyModelsFor(family)
      .filter((name) => legacyModel(name)?.discontinued === false)
      .join(', ');
    if (caps === undefined) throw invalidParameter(`model_name '${this.modelName}' is invalid for ${family}; must be one of: ${enumText}`);
    if (caps.discontinued) throw invalidParameter(`The model '${this.modelName}' has been discontinued and is no longer available.`);
    if (!caps.families.includes(family)) {
      // Seed pitfall 7: kling-v1-5 and kling-v2-1 are image-to-video only.
      throw invalidParameter(`model_name '${this.modelName}' does not support ${family} (image-to-video only); must be one of: ${enumText}`);
    }
    this.caps = caps;
  }

  check(): TaskSpec {
    this.checkMode();
    this.checkDuration();
    this.checkPrompt();
    this.checkMutuallyExclusiveGroups();
    this.checkImages();
    this.checkCameraControl();
    this.checkCfgScale();
    this.checkSound();
    this.checkVoiceList();
    this.checkImageTail();
    this.checkMotionBrush();
    this.checkMultiShot();
    const resolution: Resolution | undefined = this.caps.resolutionByMode[this.mode ?? 'default'];
    if (resolution === undefined) throw new Error(`capability table has no resolution for ${this.modelName} mode ${this.mode ?? 'default'}`);
    return {
      standard: 'legacy',
      product: productOfFamily[this.family],
      model: this.modelName,
      mode: this.mode,
      resolution,
      durationSeconds: Number(this.duration),
      audio: this.audio,
      voiceControl: this.audio && (this.body.voice_list?.length ?? 0) > 0,
      prompt: this.body.prompt,
      externalId: this.body.external_task_id,
      callbackUrl: this.body.callback_url,
      watermark: this.body.watermark_info?.enabled === true,
      body: this.body,
    };
  }

  /**
   * A parameter the real API is documented to accept and silently ignore (REF §7 problem 9).
   * strictCapabilities → 400/1201; otherwise the parameter is dropped.
   */
  private ignoredByRealApi(field: keyof LegacyCreateBody, message: string): void {
    if (this.strict) throw invalidParameter(message);
    delete this.body[field];
  }

  /** REF §3.1: `std` | `pro` (`4k` on v3); live, `standard` is rejected. Master models have no mode split. */
  private checkMode(): void {
    const requested = this.body.mode;
    if (this.caps.modes === null) {
      if (requested !== undefined) this.ignoredByRealApi('mode', `mode is not supported by ${this.modelName} (no std/pro split)`);
      this.mode = undefined;
      return;
    }
    if (requested !== undefined && !this.caps.modes.includes(requested)) {
      throw invalidParameter(`mode must be one of ${quoteList(this.caps.modes)} for ${this.modelName}`);
    }
    this.mode = requested ?? this.caps.modes[0];
  }

  /** REF §3.1: "5"/"10" ("3"…"15" for v3). */
  private checkDuration(): void {
    const requested = this.body.duration;
    if (requested !== undefined && !this.caps.durations.includes(requested)) {
      throw invalidParameter(`duration must be one of ${quoteList(this.caps.durations)} for ${this.modelName}`);
    }
    this.duration = requested ?? this.caps.durations[0] ?? '5';
  }

  /** REF §3.1: prompt is required for text-to-video (not when multi-shot "customize" supplies per-shot prompts). */
  private checkPrompt(): void {
    if (this.family !== 'text2video') return;
    const customShots = this.body.multi_shot === true && this.body.shot_type !== 'intelligence';
    if (!customShots && (this.body.prompt === undefined || this.body.prompt.trim() === '')) {
      throw invalidParameter('prompt is required for text2video and must not be empty');
    }
  }

  /** REF §3.2 / seed pitfall 6: image_tail, the motion brush and camera_control are mutually exclusive. */
  private checkMutuallyExclusiveGroups(): void {
    if (this.family !== 'image2video') return;
    const groups = [
      this.body.image_tail !== undefined ? 'image_tail' : undefined,
      this.body.static_mask !== undefined || this.body.dynamic_masks !== undefined ? 'static_mask/dynamic_masks' : undefined,
      this.body.camera_control !== undefined ? 'camera_control' : undefined,
    ].filter((group) => group !== undefined);
    if (groups.length > 1) {
      throw invalidParameter(
        `${groups.join(', ')} are mutually exclusive: use only one of image_tail, static_mask/dynamic_masks, camera_control per request`,
      );
    }
  }

  /** REF §3.2: "At least one parameter should be filled in between parameter image and parameter image_tail". */
  private checkImages(): void {
    if (this.family !== 'image2video') return;
    if (this.body.image === undefined && this.body.image_tail === undefined) {
      throw invalidParameter('image is required: at least one of image and image_tail must be filled in');
    }
  }

  /** REF §3.3: shape rules, then the narrow support (rejected live, REF §3.3 observed message). */
  private checkCameraControl(): void {
    const camera = this.body.camera_control;
    if (camera === undefined) return;
    const config = camera.config ?? {};
    const sent = Object.entries(config).filter(([, value]) => value !== undefined) as [string, number][];
    if (camera.type === 'simple') {
      const nonZero = sent.filter(([, value]) => value !== 0);
      if (camera.config === undefined || camera.config === null) {
        throw invalidParameter('camera_control.config is required when camera_control.type is "simple"');
      }
      if (nonZero.length !== 1) {
        throw invalidParameter(
          `camera_control.config must have exactly one non-zero field among ${CAMERA_AXES.join(', ')} for type "simple" (got ${nonZero.length})`,
        );
      }
    } else if (sent.length > 0) {
      throw invalidParameter(`camera_control.config must be empty for type "${camera.type}"`);
    }
    const support = this.caps.cameraControl;
    const supported =
      support !== null &&
      support.family === this.family &&
      support.mode === this.mode &&
      support.duration === this.duration &&
      support.types.includes(camera.type);
    if (!supported) throw invalidParameter(cameraSupportMessage(this.family));
  }

  /** REF §3.1: cfg_scale "Not supported by kling-v2.x models"; REF §7 problem 9: ignored there. */
  private checkCfgScale(): void {
    if (this.body.cfg_scale !== undefined && !this.caps.cfgScale) {
      this.ignoredByRealApi('cfg_scale', `cfg_scale is not supported by ${this.modelName} (only kling-v1-5 and kling-v1-6)`);
    }
  }

  /** REF §3.1: sound "Only V2.6 and later"; NEW §1.3: v2-6 pro only, std is silent (ignored, REF §7 problem 9). */
  private checkSound(): void {
    if (this.body.sound !== 'on') return;
    const mode = this.mode ?? 'default';
    if (this.caps.soundModes.includes(mode)) {
      this.audio = true;
    } else if (this.caps.soundIgnoredModes.includes(mode)) {
      this.ignoredByRealApi('sound', `sound "on" is only supported in ${quoteList(this.caps.soundModes)} mode for ${this.modelName}`);
    } else {
      throw invalidParameter(
        `sound "on" is not supported by ${this.modelName}${this.mode === undefined ? '' : ` in ${this.mode} mode`} (kling-v2-6 pro and kling-v3 only)`,
      );
    }
  }

  /** REF §3.1/§3.2: voice_list needs `sound: "on"`; V2.6+. */
  private checkVoiceList(): void {
    if (this.body.voice_list === undefined || this.body.voice_list.length === 0) return;
    if (!this.audio) throw invalidParameter(`voice_list requires sound "on" on a model and mode that support sound (kling-v2-6 pro, kling-v3)`);
  }

  /** NEW §1.3 legacy table / REF §3.5: start+end frames per model and mode. */
  private checkImageTail(): void {
    if (this.family !== 'image2video' || this.body.image_tail === undefined) return;
    const support = this.caps.imageTail;
    const mode = this.mode ?? 'default';
    if (support === null) throw invalidParameter(`image_tail is not supported by ${this.modelName}`);
    if (support.ignoredModes.includes(mode)) {
      this.ignoredByRealApi('image_tail', `image_tail is only supported in ${quoteList(support.modes)} mode for ${this.modelName}`);
      if (this.body.image === undefined) throw invalidParameter('image is required: image_tail is ignored in this mode');
      return;
    }
    if (!support.modes.includes(mode))
      throw invalidParameter(`image_tail is only supported in ${quoteList(support.modes)} mode for ${this.modelName}`);
    if (this.body.image === undefined && !support.tailOnlyModes.includes(mode)) {
      throw invalidParameter(`image is required: image_tail alone is only supported by kling-v1-5 and kling-v1-6 in pro mode`);
    }
    // MAP: "Start/end frame: pro, silent only" on v2-6 — uncertain, so only enforced when strict.
    if (support.silentOnly && this.audio && this.strict) {
      throw invalidParameter(`image_tail on ${this.modelName} is only supported for silent videos (sound "off")`);
    }
  }

  /** REF §3.2/§3.5: the motion brush works on kling-v1-5 pro 5s only (kling-v1 is discontinued). */
  private checkMotionBrush(): void {
    if (this.body.static_mask === undefined && this.body.dynamic_masks === undefined) return;
    const support = this.caps.motionBrush;
    if (support === null || support.mode !== this.mode || support.duration !== this.duration) {
      throw invalidParameter('static_mask/dynamic_masks are only supported in pro mode with 5s duration and kling-v1-5');
    }
  }

  /** REF §3.1 [3P]: multi-shot is v3 only; customize needs 1–6 shots whose durations add up to the total. */
  private checkMultiShot(): void {
    const { multi_shot: multiShot, shot_type: shotType, multi_prompt: shots } = this.body;
    if (multiShot === undefined && shotType === undefined && shots === undefined) return;
    if (!this.caps.multiShot) throw invalidParameter(`multi_shot, shot_type and multi_prompt are only supported by kling-v3`);
    if (multiShot !== true) {
      if (shots !== undefined) throw invalidParameter('multi_prompt requires multi_shot to be true');
      return;
    }
    if (shotType === 'intelligence') {
      if (this.body.prompt === undefined || this.body.prompt.trim() === '')
        throw invalidParameter('prompt is required when shot_type is "intelligence"');
      return;
    }
    if (shots === undefined) throw invalidParameter('multi_prompt is required when multi_shot is true and shot_type is "customize"');
    const total = shots.reduce((sum, shot) => sum + Number(shot.duration), 0);
    if (total !== Number(this.duration)) {
      throw invalidParameter(`multi_prompt durations must add up to duration ${this.duration} (got ${total})`);
    }
  }
}

/** REF §3.3: the observed message for T2V, and the same style for the I2V combination. */
function cameraSupportMessage(family: LegacyFamily): string {
  return family === 'text2video'
    ? 'camera_control is only supported in std mode with 5s duration and kling-v1'
    : 'camera_control is only supported in pro mode with 5s duration and kling-v1-5 (type "simple")';
}

function quoteList(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(', ');
}
