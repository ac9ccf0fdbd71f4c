// Issue 20: every omni-video combination the references refuse (NEW §1.3, §3.3 [OFFICIAL OVG, O1]) and the field its
// issue names. Shared by the validation tests (omni-video.test.ts) and the client-over-HTTP tests (omni-simulator.test.ts).
const IMG = 'https://cdn.example.com/a.png';
const IMG2 = 'https://cdn.example.com/b.png';
const VID = 'https://cdn.example.com/ref.mp4';
const omni = { model: 'kling-3.0-omni', kind: 'omni-video', prompt: 'The cat from @image_1 walks across a rooftop at dusk' };
const o1 = { model: 'kling-o1', kind: 'omni-video', prompt: 'A paper boat drifts down a rain gutter' };
const images = (n: number) => Array.from({ length: n }, (_, i) => ({ url: `https://cdn.example.com/r${i}.png` }));
const elements = (n: number, type?: 'multi-image' | 'video-character') =>
  Array.from({ length: n }, (_, i) => ({ elementId: `el-${i}`, ...(type ? { type } : {}) }));

export const OMNI_REFUSED: Array<[string, object, string, RegExp]> = [
  ['a prompt is required', { ...omni, prompt: undefined, referImages: [{ url: IMG }] }, 'prompt', /required for omni-video/],
  ['prompt over 3072 characters (kling-3.0-omni)', { ...omni, prompt: 'x'.repeat(3073) }, 'prompt', /3073 characters exceeds the limit of 3072/],
  ['prompt over 2500 characters (kling-o1)', { ...o1, prompt: 'x'.repeat(2501) }, 'prompt', /limit of 2500/],
  ['4k on kling-o1', { ...o1, resolution: '4k' }, 'resolution', /720p, 1080p, not 4k/],
  ['16 s on kling-3.0-omni', { ...omni, prompt: 'x', duration: 16 }, 'duration', /3–15 seconds, not 16/],
  ['11 s on kling-o1', { ...o1, duration: 11 }, 'duration', /3–10 seconds, not 11/],
  ['kling-o1 first frame only, 7 s', { ...o1, image: IMG, duration: 7 }, 'duration', /5 or 10 seconds, not 7/],
  ['8 reference images', { ...omni, referImages: images(8) }, 'referImages', /7/],
  [
    '7 references counting multi-image elements',
    { ...omni, referImages: images(4), elements: elements(4) },
    'referImages',
    /8 reference images and multi-image elements; kling-3.0-omni takes at most 7 without/,
  ],
  [
    '5 references with a reference video',
    { ...omni, referImages: images(5), featureVideo: { url: VID } },
    'referImages',
    /at most 4 with a reference video/,
  ],
  ['elements alone over the limit with a video', { ...omni, elements: elements(5), baseVideo: { url: VID } }, 'elements', /at most 4 with/],
  ['two reference videos', { ...omni, featureVideo: { url: VID }, baseVideo: { url: VID } }, 'baseVideo', /at most one reference video/],
  ['a base video with a first frame', { ...omni, image: IMG, baseVideo: { url: VID } }, 'image', /takes no first frame/],
  ['a base video with a last frame', { ...omni, image: IMG, imageTail: IMG2, baseVideo: { url: VID } }, 'imageTail', /takes no last frame/],
  ['a last frame without a first', { ...omni, imageTail: IMG2 }, 'imageTail', /needs a first frame/],
  ['a feature video with native audio', { ...omni, featureVideo: { url: VID }, audio: 'native' }, 'audio', /forces audio off/],
  ['a feature video with original audio', { ...omni, featureVideo: { url: VID }, audio: 'original' }, 'audio', /forces audio off/],
  ['a base video with native audio', { ...omni, baseVideo: { url: VID }, audio: true }, 'audio', /rules out native audio/],
  ['original audio without a base video', { ...omni, audio: 'original' }, 'audio', /needs baseVideo/],
  ['native audio on kling-o1', { ...o1, audio: 'native' }, 'audio', /no native audio/],
  [
    'a video-character element on kling-o1',
    { ...o1, elements: [{ elementId: 'e', type: 'video-character' }] },
    'elements.0.type',
    /only multi-image elements/,
  ],
  [
    'kling-o1 with both frames and reference images',
    { ...o1, image: IMG, imageTail: IMG2, referImages: [{ url: IMG }] },
    'referImages',
    /no reference images with both/,
  ],
  ['kling-o1 with both frames and elements', { ...o1, image: IMG, imageTail: IMG2, elements: elements(1) }, 'elements', /no elements with both/],
  ['a video given as base64', { ...omni, featureVideo: { url: 'AAAAGGZ0eXBpc29t' } }, 'featureVideo.url', /URL only/],
  ['an http video URL', { ...omni, featureVideo: { url: 'http://cdn.example.com/v.mp4' } }, 'featureVideo.url', /https/],
  ['a video on an internal address', { ...omni, baseVideo: { url: 'https://169.254.169.254/v.mp4' } }, 'baseVideo.url', /internal address/],
  ['a reference image on localhost', { ...omni, referImages: [{ url: 'https://localhost/a.png' }] }, 'referImages.0.url', /internal address/],
  ['a prompt naming a missing image', { ...omni, prompt: 'Put @image_2 in the scene', referImages: [{ url: IMG }] }, 'prompt', /@image_2/],
  ['a prompt naming a missing video', { ...omni, prompt: 'Restyle @video_1', referImages: [{ url: IMG }] }, 'prompt', /@video_1/],
  ['a prompt naming a missing element', { ...omni, prompt: '@element_1 waves', referImages: [{ url: IMG }] }, 'prompt', /@element_1/],
  [
    'duplicate content ids',
    { ...omni, referImages: [{ url: IMG, id: 'hero' }], elements: [{ elementId: 'e', id: 'hero' }] },
    'elements',
    /used twice/,
  ],
  ['multiShot on kling-o1', { ...o1, multiShot: true }, 'multiShot', /not available for kling-o1/],
  ['voices on omni', { ...omni, voices: [{ voiceId: 'v' }] }, 'voices', /not available/],
  ['a multi-shot prompt without the syntax', { ...omni, multiShot: true }, 'prompt', /does not follow the syntax/],
  [
    'multi-shot seconds not adding up',
    { ...omni, multiShot: true, prompt: 'shot 1, 2, a fox runs; shot 2, 2, it jumps;' },
    'prompt',
    /4 s in all, but duration is 5 s/,
  ],
];
