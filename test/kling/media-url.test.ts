import { describe, expect, it } from 'vitest';
import { isLocalHostName, mediaUrlProblem, resolveWithoutCredentials } from '../../src/kling/index.js';
import { isPrivateAddress as videoSourceIsPrivate } from '../../src/download/video-source.js';
import { isPrivateAddress } from '../../src/kling/private-address.js';

describe('image URL policy (mediaUrlProblem)', () => {
  it.each([
    'https://example.com/a.png',
    'https://cdn.example.org:8443/path/a.jpeg?x=1',
    'https://8.8.8.8/a.png',
    'https://[2606:4700:4700::1111]/a.png',
    'https://[::ffff:8.8.8.8]/a.png',
    'https://internal.example.com/a.png',
    'https://local-cdn.example.com/a.png',
    'https://localhost.example.com/a.png',
    'iVBORw0KGgo=',
  ])('sends %s', (value) => {
    expect(mediaUrlProblem(value)).toBeUndefined();
  });

  it.each([
    ['http://127.0.0.1:8080/a.png', 'internal'],
    ['http://169.254.169.254/latest/meta-data/', 'internal'],
    ['http://[::ffff:169.254.169.254]/', 'internal'],
    ['https://[::ffff:7f00:1]/', 'internal'],
    ['https://[0:0:0:0:0:ffff:10.0.0.1]/', 'internal'],
    ['https://[::]/', 'internal'],
    ['https://[fc00::1]/', 'internal'],
    ['https://100.64.0.1/', 'internal'],
    ['https://127.1/', 'internal'],
    ['https://017700000001/', 'internal'],
    ['https://ip6-localhost/', 'internal'],
    ['https://printer.local/', 'internal'],
    ['https://router.home.arpa/', 'internal'],
    ['HTTP://EXAMPLE.COM/a.png', 'https'],
  ])('refuses %s (%s)', (value, kind) => {
    expect(mediaUrlProblem(value)).toMatch(kind === 'https' ? /^must be an https URL/ : /^points at an internal address/);
  });

  it('each policy switch lifts only its own rule', () => {
    expect(mediaUrlProblem('http://127.0.0.1/a.png', { allowHttp: true, allowPrivateAddresses: true })).toBeUndefined();
    expect(mediaUrlProblem('http://127.0.0.1/a.png', { allowHttp: true })).toMatch(/internal address/);
    expect(mediaUrlProblem('http://127.0.0.1/a.png', { allowPrivateAddresses: true })).toMatch(/https/);
  });

  it('local validation (resolveWithoutCredentials) applies it, naming the field; a policy can loosen it', () => {
    const request = { model: 'kling-2.6', kind: 'image-to-video', image: 'http://localhost:9000/a.png' };
    expect(() => resolveWithoutCredentials(request)).toThrow(/image: points at an internal address \(localhost\)/);
    expect(resolveWithoutCredentials(request, undefined, { mediaUrlPolicy: { allowHttp: true, allowPrivateAddresses: true } }).request.image).toBe(
      request.image,
    );
  });

  it('names: localhost-style and single-label names are local, public names and IP literals are not', () => {
    for (const name of ['localhost', 'LOCALHOST.', 'a.localhost', 'metadata', 'metadata.google.internal', 'x.localdomain'])
      expect(isLocalHostName(name), name).toBe(true);
    for (const name of ['example.com', 'localhost.example.com', '127.0.0.1', '::1']) expect(isLocalHostName(name), name).toBe(false);
  });

  it('the download allow-list and the image policy share one address classifier', () => {
    expect(videoSourceIsPrivate).toBe(isPrivateAddress);
  });
});
