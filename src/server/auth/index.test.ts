import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { errorResponse } from '../http-errors.js';
import { ANONYMOUS_OWNER, bearerAuth, ownerOfKey, type AuthOptions, type AuthEnv } from './index.js';

const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-fedcba9876543210';

function appWith(options: AuthOptions): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.onError((error, c) => errorResponse(c, error));
  app.use('*', bearerAuth(options));
  app.get('/whoami', (c) => c.json({ owner: c.get('owner') ?? null }));
  app.get('/healthz', (c) => c.json({ ok: true, owner: c.get('owner') ?? null }));
  return app;
}

const secured = () => appWith({ enabled: true, apiKeys: [KEY_A, KEY_B], publicPaths: ['/healthz'] });

async function expectUnauthorized(response: Response): Promise<void> {
  assert.equal(response.status, 401);
  assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="parascribe"');
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  const body = (await response.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'UNAUTHORIZED');
  assert.equal(typeof body.error.message, 'string');
}

test('auth: no Authorization header → 401 UNAUTHORIZED with WWW-Authenticate', async () => {
  const response = await secured().request('/whoami');
  await expectUnauthorized(response);
});

test('auth: a wrong key, a non-Bearer scheme or an empty token → 401', async () => {
  const app = secured();
  for (const header of [`Bearer ${KEY_A}x`, `Bearer wrong`, `Basic ${KEY_A}`, 'Bearer ', 'Bearer', KEY_A, `Bearer ${KEY_A} extra`]) {
    const response = await app.request('/whoami', { headers: { authorization: header } });
    await expectUnauthorized(response);
  }
});

test('auth: the right key → 200, owner is ownerOfKey(key) and never contains the key', async () => {
  const response = await secured().request('/whoami', { headers: { authorization: `Bearer ${KEY_A}` } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('www-authenticate'), null);
  const { owner } = (await response.json()) as { owner: string };
  assert.equal(owner, ownerOfKey(KEY_A));
  assert.match(owner, /^k_[0-9a-f]{24}$/);
  assert.ok(!owner.includes(KEY_A));
  assert.ok(!owner.includes('key-a'));
});

test('auth: two keys are two different owners', async () => {
  const app = secured();
  const ownerFor = async (key: string) => {
    const response = await app.request('/whoami', { headers: { authorization: `Bearer ${key}` } });
    assert.equal(response.status, 200);
    return ((await response.json()) as { owner: string }).owner;
  };
  const a = await ownerFor(KEY_A);
  const b = await ownerFor(KEY_B);
  assert.equal(a, ownerOfKey(KEY_A));
  assert.equal(b, ownerOfKey(KEY_B));
  assert.notEqual(a, b);
});

test('auth: the Bearer scheme is case-insensitive and surrounding spaces are tolerated', async () => {
  const app = secured();
  for (const header of [`bearer ${KEY_A}`, `BEARER ${KEY_A}`, `BeArEr   ${KEY_A}  `]) {
    const response = await app.request('/whoami', { headers: { authorization: header } });
    assert.equal(response.status, 200, header);
    assert.deepEqual(await response.json(), { owner: ownerOfKey(KEY_A) });
  }
});

test('auth: enabled false → every request is the anonymous owner, with or without a key', async () => {
  const app = appWith({ enabled: false, apiKeys: [KEY_A] });
  const variants: Array<Record<string, string>> = [{}, { authorization: 'Bearer nonsense' }, { authorization: `Bearer ${KEY_A}` }];
  for (const headers of variants) {
    const response = await app.request('/whoami', { headers });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { owner: ANONYMOUS_OWNER });
  }
});

test('auth: enabled with no keys configured refuses everything', async () => {
  const response = await appWith({ enabled: true, apiKeys: [] }).request('/whoami', { headers: { authorization: 'Bearer anything-at-all-here' } });
  await expectUnauthorized(response);
});

test('auth: public paths need no key (and set no owner); other paths still do', async () => {
  const app = secured();
  const open = await app.request('/healthz');
  assert.equal(open.status, 200);
  assert.deepEqual(await open.json(), { ok: true, owner: null });
  // A bad key on a public path is not an error either.
  const openBadKey = await app.request('/healthz', { headers: { authorization: 'Bearer wrong' } });
  assert.equal(openBadKey.status, 200);
  // Only the exact path is public.
  await expectUnauthorized(await app.request('/healthz/more'));
  await expectUnauthorized(await app.request('/whoami'));
});
