import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientErrorAnswer } from './client-error.js';

test('clientErrorAnswer: parser error codes → status and our error code', () => {
  const cases: Array<[string | undefined, number, string]> = [
    ['HPE_HEADER_OVERFLOW', 431, 'PAYLOAD_TOO_LARGE'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'REQUEST_TIMEOUT'],
    ['HPE_INVALID_METHOD', 400, 'INVALID_ARGUMENT'],
    ['HPE_UNEXPECTED_CONTENT_LENGTH', 400, 'INVALID_ARGUMENT'],
    [undefined, 400, 'INVALID_ARGUMENT'],
  ];
  for (const [errorCode, status, code] of cases) {
    const answer = clientErrorAnswer(errorCode);
    assert.equal(answer.status, status, String(errorCode));
    assert.equal(answer.code, code, String(errorCode));
  }
});
