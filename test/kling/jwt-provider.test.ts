import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { JwtProvider } from '../../src/kling/index.js';

const secret = new TextEncoder().encode('sk-test');

describe('JwtProvider', () => {
  it('signs HS256 with the exact header {alg, typ} and iss/exp/nbf claims', async () => {
    const now = Date.UTC(2026, 10, 27, 12, 0, 0);
    const token = await new JwtProvider({ accessKey: 'ak-test', secretKey: 'sk-test', now: () => now }).token();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toEqual({ iss: 'ak-test', exp: now / 1000 + 1800, nbf: now / 1000 - 5 });
    await expect(jwtVerify(token, secret, { currentDate: new Date(now) })).resolves.toBeDefined();
  });

  it('mints nothing until asked (no token at construction)', () => {
    let reads = 0;
    new JwtProvider({ accessKey: 'a', secretKey: 's', now: () => (reads++, Date.now()) });
    expect(reads).toBe(0);
  });

  it('reuses the cached token until fewer than 5 minutes remain, then mints a new one', async () => {
    let now = Date.UTC(2026, 0, 1);
    const provider = new JwtProvider({ accessKey: 'a', secretKey: 's', now: () => now });
    const first = await provider.token();
    now += 24 * 60_000; // 6 minutes left
    expect(await provider.token()).toBe(first);
    now += 2 * 60_000; // 4 minutes left: inside the 5-minute buffer
    const second = await provider.token();
    expect(second).not.toBe(first);
    expect(decodeJwt(second).exp).toBe(now / 1000 + 1800);
  });

  it('never exposes the keys through JSON', () => {
    const provider = new JwtProvider({ accessKey: 'ak-secret-value', secretKey: 'sk-secret-value' });
    expect(JSON.stringify({ provider })).not.toMatch(/secret-value/);
  });
});
