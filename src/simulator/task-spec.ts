/** Which of Kling's two API designs a task was created through (NEW §1.1). */
export type ApiStandard = 'legacy' | 'new';

/** New-standard product path segment. */
export type Product = 'text-to-video' | 'image-to-video' | 'omni-video' | 'motion-control';

/** Legacy family path segment (REF §1.2); tasks are scoped to the family they were created in. */
export type LegacyFamily = 'text2video' | 'image2video' | 'omni-video' | 'motion-control';

export type Resolution = '720p' | '1080p' | '4k';

export const familyOfProduct: Record<Product, LegacyFamily> = {
  'text-to-video': 'text2video',
  'image-to-video': 'image2video',
  // REF §1.2: `/v1/videos/omni-video` (body: legacy-product-validation.ts).
  'omni-video': 'omni-video',
  // REF §1.2, §3.4: `/v1/videos/motion-control`.
  'motion-control': 'motion-control',
};

export const productOfFamily: Record<LegacyFamily, Product> = {
  text2video: 'text-to-video',
  image2video: 'image-to-video',
  'omni-video': 'omni-video',
  'motion-control': 'motion-control',
};

/**
 * A validated create request, reduced to what the simulator needs: lifecycle, pricing, concurrency and
 * presentation. Both standards' validators produce it.
 */
export interface TaskSpec {
  readonly standard: ApiStandard;
  readonly product: Product;
  /** The model id as the request named it: legacy `model_name` or the new path id. */
  readonly model: string;
  /** Legacy `mode` (std/pro/4k) when it applies; undefined on the new standard and mode-less models. */
  readonly mode: string | undefined;
  readonly resolution: Resolution;
  /** Requested seconds; billing uses this (NEW §7.1: "Billed duration = the requested duration"). */
  readonly durationSeconds: number;
  /** Whether the output carries generated audio (legacy `sound: on`, new `audio: native`, always on 3.0-turbo). */
  readonly audio: boolean;
  /** Voice control (legacy `voice_list`, new `voice` contents) — priced higher (NEW §7.1). */
  readonly voiceControl: boolean;
  /** Omni-video with a `feature_video`/`base_video` ("With Video Input", NEW §7.1; ledger `refer_video_input`). */
  readonly videoInput?: boolean;
  /** Omni-video `settings.audio` (ledger `video_sound`: native, original or off). */
  readonly audioMode?: 'native' | 'original' | 'off';
  readonly prompt: string | undefined;
  readonly externalId: string | undefined;
  readonly callbackUrl: string | undefined;
  readonly watermark: boolean;
  /** The request body as accepted (after parameters the real API ignores were dropped). */
  readonly body: Readonly<Record<string, unknown>>;
}
