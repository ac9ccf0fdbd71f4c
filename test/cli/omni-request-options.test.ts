import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addRequestOptions, buildRequest, resolveLocally, type RequestFlags } from '../../src/cli/request-options.js';

// Issue 20: the CLI's flags for omni-video and motion control (no servers: the flags become the request object).
const parse = (args: string[]): RequestFlags => addRequestOptions(new Command().exitOverride()).parse(args, { from: 'user' }).opts<RequestFlags>();

describe('request flags for omni-video and motion control', () => {
  it('--refer-image / --feature-video make an omni-video request; the kind is inferred', () => {
    const request = buildRequest(
      parse([
        '-m',
        'kling-3.0-omni',
        '-p',
        'The fox from @image_1 dances like @video_1',
        '--refer-image',
        'https://cdn.example.com/fox.png',
        '--feature-video',
        'https://cdn.example.com/d.mp4',
        '--element',
        'e-1',
      ]),
    );
    expect(request).toMatchObject({
      kind: 'omni-video',
      referImages: [{ url: 'https://cdn.example.com/fox.png' }],
      featureVideo: { url: 'https://cdn.example.com/d.mp4' },
      elements: [{ elementId: 'e-1' }],
    });
    expect(resolveLocally(request).request.kind).toBe('omni-video');
  });

  it('--base-video with --audio-mode original', () => {
    const request = buildRequest(
      parse(['-m', 'kling-o1', '-p', 'Make @video_1 rainy', '--base-video', 'https://cdn.example.com/v.mp4', '--audio-mode', 'original']),
    );
    expect(resolveLocally(request)).toMatchObject({ audioMode: 'original', request: { kind: 'omni-video' } });
  });

  it('--motion-video and --character-orientation make a motion-control request', () => {
    const request = buildRequest(
      parse([
        '-m',
        'kling-3.0',
        '--image',
        'https://cdn.example.com/c.png',
        '--motion-video',
        'https://cdn.example.com/m.mp4',
        '--character-orientation',
        'image',
      ]),
    );
    expect(request).toMatchObject({ kind: 'motion-control', motionVideo: 'https://cdn.example.com/m.mp4', characterOrientation: 'image' });
    expect(resolveLocally(request)).toMatchObject({ duration: 10, audioMode: 'original' });
  });

  it('a missing orientation is refused, naming the field', () => {
    const request = buildRequest(
      parse(['-m', 'kling-3.0', '--image', 'https://cdn.example.com/c.png', '--motion-video', 'https://cdn.example.com/m.mp4']),
    );
    expect(() => resolveLocally(request)).toThrow(/characterOrientation/);
  });
});
