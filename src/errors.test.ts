import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDiskFull, ParascribeError, toParascribeError } from './errors.js';
import { statusForCode } from './server/http-errors.js';

const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code });

test('isDiskFull / toParascribeError: ENOSPC and EDQUOT, bare or wrapped, become STORAGE_FULL (HTTP 507); other errors do not', () => {
  const cases: Array<[unknown, boolean]> = [
    [errno('ENOSPC'), true],
    [errno('EDQUOT'), true],
    [new ParascribeError('OUTPUT_NOT_WRITABLE', 'cannot write x: no space left on device', { cause: errno('ENOSPC') }), true],
    [new Error('outer', { cause: new Error('middle', { cause: errno('ENOSPC') }) }), true],
    [errno('EACCES'), false],
    [new Error('ENOSPC in a message only'), false],
    [null, false],
  ];
  for (const [value, full] of cases) assert.equal(isDiskFull(value), full, String(value));
  const converted = toParascribeError(errno('ENOSPC'));
  assert.equal(converted.code, 'STORAGE_FULL');
  assert.equal(converted.isRetryable, true);
  assert.equal(statusForCode('STORAGE_FULL'), 507);
  assert.equal(toParascribeError(errno('EACCES')).code, 'INTERNAL');
});
