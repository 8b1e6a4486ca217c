import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { ParascribeError, type ErrorCode } from '../../errors.js';
import { downloadUrlToFile, type UrlIngestOptions } from './index.js';

interface TestServer {
  origin: string;
  port: number;
  requests: Array<{ url: string; host: string | undefined }>;
  close(): Promise<void>;
}

async function serve(handler: http.RequestListener): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', host: req.headers.host });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'parascribe-ingest-url-'));
}

const LOOPBACK = ['127.0.0.1/32'];
const noDns: NonNullable<UrlIngestOptions['lookup']> = async (hostname) => {
  throw Object.assign(new Error(`unexpected DNS lookup of ${hostname}`), { code: 'ENOTFOUND' });
};

function base(extra: Partial<UrlIngestOptions> = {}): UrlIngestOptions {
  return { maxBytes: 1_000_000, timeoutMs: 5_000, lookup: noDns, ...extra };
}

async function expectError(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<ParascribeError> {
  let caught: unknown;
  await promise.then(
    () => assert.fail(`expected ${code}, but the download succeeded`),
    (err: unknown) => {
      caught = err;
    },
  );
  assert.ok(caught instanceof ParascribeError, `expected a ParascribeError, got ${String(caught)}`);
  assert.equal(caught.code, code, `message: ${caught.message}`);
  assert.doesNotMatch(caught.message, /\n|\bat .+:\d+:\d+/, 'one line, no stack trace');
  if (message) assert.match(caught.message, message);
  return caught;
}

test('refused by policy before any connection: private literals, number forms, schemes, credentials, internal names', async () => {
  const dir = tempDir();
  const cases = [
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://017700000001/',
    'http://0/',
    'ftp://example.com/talk.mp3',
    'file:///etc/passwd',
    'http://user:pw@example.com/talk.mp3',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://localhost/',
  ];
  assert.equal(new URL('http://2130706433/').hostname, '127.0.0.1', 'WHATWG URL normalises decimal IPv4');
  assert.equal(new URL('http://0x7f.1/').hostname, '127.0.0.1', 'WHATWG URL normalises hex/short IPv4');
  for (const url of cases) {
    const err = await expectError(downloadUrlToFile(url, join(dir, 'out'), base({ timeoutMs: 2_000 })), 'URL_REFUSED');
    assert.ok(!err.message.includes('pw'), 'credentials are not echoed');
  }
  assert.deepEqual(readdirSync(dir), []);
});

test('the loopback test server is refused when it is not on the allow list', async () => {
  const server = await serve((_req, res) => res.end('secret'));
  try {
    const dir = tempDir();
    await expectError(downloadUrlToFile(`${server.origin}/x`, join(dir, 'out'), base()), 'URL_REFUSED', /private or reserved/);
    await expectError(downloadUrlToFile(`${server.origin}/x`, join(dir, 'out'), base({ allow: ['10.0.0.0/8', '127.0.0.2/32'] })), 'URL_REFUSED');
    assert.equal(server.requests.length, 0, 'no request reached the server');
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    await server.close();
  }
});

test('a host name that resolves to a private address is refused (any address, not just the first)', async () => {
  const dir = tempDir();
  const looked: string[] = [];
  const answers: Record<string, Array<{ address: string; family: 4 | 6 }>> = {
    'private.example': [{ address: '10.1.2.3', family: 4 }],
    'mixed.example': [{ address: '93.184.215.14', family: 4 }, { address: '10.1.2.3', family: 4 }],
    'v6.example': [{ address: 'fd00::5', family: 6 }],
  };
  const lookup: UrlIngestOptions['lookup'] = async (hostname) => {
    looked.push(hostname);
    return answers[hostname] ?? [];
  };
  for (const host of Object.keys(answers)) {
    const err = await expectError(downloadUrlToFile(`https://${host}/talk.mp3`, join(dir, 'out'), base({ lookup })), 'URL_REFUSED', /resolves to a private/);
    assert.ok(!err.message.includes('10.1.2.3'), 'internal addresses are not echoed');
  }
  assert.deepEqual(looked, Object.keys(answers));
  await expectError(downloadUrlToFile('https://nowhere.example/', join(dir, 'out'), base({ lookup })), 'URL_FETCH_FAILED', /could not resolve/);
  assert.deepEqual(readdirSync(dir), []);
});

test('downloads the exact bytes; filename and content type from the response; no .part left', async () => {
  const body = randomBytes(300_000);
  const server = await serve((req, res) => {
    if (req.url === '/start') {
      res.writeHead(302, { location: 'media/episode.mp3' }).end();
    } else if (req.url === '/media/episode.mp3') {
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-disposition': 'attachment; filename="Episode 1.mp3"' }).end(body);
    } else if (req.url === '/files/talk.mp3') {
      res.writeHead(200, { 'content-type': 'audio/ogg' }).end(body);
    } else res.writeHead(404).end();
  });
  try {
    const dir = tempDir();
    const dest = join(dir, 'a.bin');
    const plain = await downloadUrlToFile(`${server.origin}/files/talk.mp3`, dest, base({ allow: LOOPBACK, maxBytes: body.length }));
    assert.deepEqual(plain, { path: dest, bytes: body.length, finalUrl: `${server.origin}/files/talk.mp3`, contentType: 'audio/ogg', filename: 'talk.mp3' });
    assert.ok(readFileSync(dest).equals(body), 'bytes on disk match, and a body of exactly maxBytes is accepted');

    const dest2 = join(dir, 'b.bin');
    const redirected = await downloadUrlToFile(`${server.origin}/start`, dest2, base({ allow: LOOPBACK }));
    assert.equal(redirected.finalUrl, `${server.origin}/media/episode.mp3`, 'relative Location resolved against the current URL');
    assert.equal(redirected.filename, 'Episode 1.mp3');
    assert.equal(redirected.contentType, 'audio/mpeg');
    assert.ok(readFileSync(dest2).equals(body));
    assert.deepEqual(readdirSync(dir).sort(), ['a.bin', 'b.bin']);
  } finally {
    await server.close();
  }
});

test('connects to the validated address only, keeping the original Host (no second DNS lookup)', async () => {
  const server = await serve((_req, res) => res.end('ok'));
  try {
    const looked: string[] = [];
    const lookup: UrlIngestOptions['lookup'] = async (hostname) => {
      looked.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const dir = tempDir();
    const url = `http://audio.test:${server.port}/talk.mp3`;
    const result = await downloadUrlToFile(url, join(dir, 'out'), base({ allow: LOOPBACK, lookup }));
    assert.equal(result.bytes, 2);
    assert.deepEqual(looked, ['audio.test'], 'resolved once, by us');
    assert.equal(server.requests[0]?.host, `audio.test:${server.port}`);
    // Allowing by host name works too, and an allowed name is not re-checked by address.
    await downloadUrlToFile(url, join(dir, 'out2'), base({ allow: ['audio.test'], lookup }));
    await expectError(downloadUrlToFile(url, join(dir, 'out3'), base({ lookup })), 'URL_REFUSED');
  } finally {
    await server.close();
  }
});

test('https: TLS SNI carries the original host name while connecting to the pinned address', async () => {
  let servername: string | undefined;
  const server = tls.createServer({
    SNICallback: (name, callback) => {
      servername = name;
      callback(new Error('no certificate in this test'));
    },
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const lookup: UrlIngestOptions['lookup'] = async () => [{ address: '127.0.0.1', family: 4 }];
    const dir = tempDir();
    await expectError(downloadUrlToFile(`https://secure.test:${port}/a.mp3`, join(dir, 'out'), base({ allow: LOOPBACK, lookup })), 'URL_FETCH_FAILED');
    assert.equal(servername, 'secure.test');
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('redirects to forbidden addresses or internal names are refused, even from an allowed server', async () => {
  const server = await serve((req, res) => {
    const targets: Record<string, string> = {
      '/meta': 'http://169.254.169.254/latest/meta-data/',
      '/private': 'http://10.0.0.1/talk.mp3',
      '/mapped': 'http://[::ffff:a9fe:a9fe]/',
      '/name': `http://localhost:${(req.socket.address() as AddressInfo).port}/ok`,
      '/scheme': 'file:///etc/passwd',
    };
    const location = targets[req.url ?? ''];
    if (location) res.writeHead(302, { location }).end();
    else res.end('should not be fetched');
  });
  try {
    const dir = tempDir();
    for (const path of ['/meta', '/private', '/mapped', '/name', '/scheme']) {
      await expectError(downloadUrlToFile(`${server.origin}${path}`, join(dir, 'out'), base({ allow: LOOPBACK, timeoutMs: 2_000 })), 'URL_REFUSED');
    }
    assert.equal(server.requests.length, 5, 'only the first hop of each reached the server');
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    await server.close();
  }
});

test('redirect limit: maxRedirects hops are followed, one more is refused', async () => {
  const server = await serve((req, res) => {
    const n = Number(req.url?.split('/')[2] ?? '0');
    if (n > 0) res.writeHead(307, { location: `/chain/${n - 1}` }).end();
    else res.end('done');
  });
  try {
    const dir = tempDir();
    const ok = await downloadUrlToFile(`${server.origin}/chain/3`, join(dir, 'ok'), base({ allow: LOOPBACK, maxRedirects: 3 }));
    assert.equal(ok.finalUrl, `${server.origin}/chain/0`);
    server.requests.length = 0;
    await expectError(downloadUrlToFile(`${server.origin}/chain/4`, join(dir, 'no'), base({ allow: LOOPBACK, maxRedirects: 3 })), 'URL_REFUSED', /too many redirects/);
    assert.equal(server.requests.length, 4);
    await expectError(downloadUrlToFile(`${server.origin}/chain/6`, join(dir, 'no'), base({ allow: LOOPBACK })), 'URL_REFUSED', /more than 5/);
    assert.deepEqual(readdirSync(dir), ['ok']);
  } finally {
    await server.close();
  }
});

test('size cap: by Content-Length up front, and while streaming a chunked body', async () => {
  const server = await serve((req, res) => {
    if (req.url === '/declared') {
      res.writeHead(200, { 'content-length': '1000' }).end(Buffer.alloc(1000));
    } else {
      res.writeHead(200); // no Content-Length: chunked
      let sent = 0;
      const pump = (): void => {
        while (sent < 200 && res.write(Buffer.alloc(1024))) sent++;
        if (sent >= 200) res.end();
        else res.once('drain', pump);
      };
      pump();
    }
  });
  try {
    const dir = tempDir();
    await expectError(downloadUrlToFile(`${server.origin}/declared`, join(dir, 'a'), base({ allow: LOOPBACK, maxBytes: 999 })), 'PAYLOAD_TOO_LARGE', /1000 bytes/);
    assert.deepEqual(readdirSync(dir), []);
    await expectError(downloadUrlToFile(`${server.origin}/chunked`, join(dir, 'b'), base({ allow: LOOPBACK, maxBytes: 50_000 })), 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(readdirSync(dir), [], 'no .part file left behind');
  } finally {
    await server.close();
  }
});

test('timeouts: overall (stalled headers, slow drip) and idle, each within the configured time; nothing on disk', async () => {
  const server = await serve((req, res) => {
    if (req.url === '/no-headers') return; // never answers
    res.writeHead(200, { 'content-type': 'audio/mpeg' });
    res.write(Buffer.alloc(100));
    if (req.url === '/drip') {
      const timer = setInterval(() => res.write('x'), 50);
      res.on('close', () => clearInterval(timer));
    } // '/stall': sends nothing more
  });
  try {
    const dir = tempDir();
    const cases: Array<[string, Partial<UrlIngestOptions>, RegExp, number]> = [
      ['/no-headers', { timeoutMs: 300 }, /within 300 ms/, 300],
      ['/stall', { timeoutMs: 300 }, /within 300 ms/, 300],
      ['/drip', { timeoutMs: 400, idleTimeoutMs: 200 }, /within 400 ms/, 400],
      ['/stall', { timeoutMs: 10_000, idleTimeoutMs: 250 }, /no data for 250 ms/, 250],
    ];
    for (const [path, extra, message, expectedMs] of cases) {
      const started = performance.now();
      const err = await expectError(downloadUrlToFile(`${server.origin}${path}`, join(dir, 'out'), base({ allow: LOOPBACK, ...extra })), 'URL_FETCH_FAILED', message);
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= expectedMs - 20 && elapsed < expectedMs + 1_500, `${path}: failed after ${Math.round(elapsed)} ms`);
      assert.equal(err.isRetryable, true);
      assert.deepEqual(readdirSync(dir), [], `${path}: nothing left on disk`);
    }
  } finally {
    await server.close();
  }
});

test('HTTP errors: 404 is a non-retryable fetch failure, 503 retryable; truncated body fails', async () => {
  const server = await serve((req, res) => {
    if (req.url === '/missing') res.writeHead(404).end('nope');
    else if (req.url === '/busy') res.writeHead(503).end();
    else {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(500), () => setTimeout(() => res.socket?.destroy(), 20));
    }
  });
  try {
    const dir = tempDir();
    const notFound = await expectError(downloadUrlToFile(`${server.origin}/missing`, join(dir, 'out'), base({ allow: LOOPBACK })), 'URL_FETCH_FAILED', /HTTP 404/);
    assert.equal(notFound.isRetryable, false);
    const busy = await expectError(downloadUrlToFile(`${server.origin}/busy`, join(dir, 'out'), base({ allow: LOOPBACK })), 'URL_FETCH_FAILED', /HTTP 503/);
    assert.equal(busy.isRetryable, true);
    await expectError(downloadUrlToFile(`${server.origin}/truncated`, join(dir, 'out'), base({ allow: LOOPBACK })), 'URL_FETCH_FAILED');
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    await server.close();
  }
});

test('abort: the caller\'s signal stops a running download (ABORTED, nothing on disk); an aborted signal sends nothing', async () => {
  const server = await serve((_req, res) => {
    res.writeHead(200);
    res.write(Buffer.alloc(1000)); // then stalls
  });
  try {
    const dir = tempDir();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = performance.now();
    await expectError(downloadUrlToFile(`${server.origin}/talk.mp3`, join(dir, 'out'), base({ allow: LOOPBACK, signal: controller.signal })), 'ABORTED');
    assert.ok(performance.now() - started < 2_000);
    assert.deepEqual(readdirSync(dir), []);
    const requests = server.requests.length;
    await expectError(downloadUrlToFile(`${server.origin}/talk.mp3`, join(dir, 'out'), base({ allow: LOOPBACK, signal: AbortSignal.abort() })), 'ABORTED');
    assert.equal(server.requests.length, requests);
  } finally {
    await server.close();
  }
});
