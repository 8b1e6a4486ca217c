/**
 * Node's HTTP parser refuses some requests before any route sees them: headers over the size limit
 * (431), a malformed request line or header, a body framed two ways (400), a request that timed out
 * (408). Node's default answer has no body; this one carries our JSON error body, so a client gets
 * `{ error: { code, message } }` for every refusal.
 */
import type { Socket } from 'node:net';

interface ParserError extends Error {
  code?: string;
}

/** The status and our error body for a parser error code (pure; tested with a table). */
export function clientErrorAnswer(errorCode: string | undefined): { status: number; reason: string; code: string; message: string } {
  switch (errorCode) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'Request Header Fields Too Large', code: 'PAYLOAD_TOO_LARGE', message: 'the request headers are over the size limit' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', code: 'REQUEST_TIMEOUT', message: 'the request took longer than the server allows' };
    default:
      return { status: 400, reason: 'Bad Request', code: 'INVALID_ARGUMENT', message: 'malformed HTTP request' };
  }
}

export function answerClientError(error: ParserError, socket: Socket): void {
  // A reset or a socket already answered (a response under way): nothing may be written.
  if (error.code === 'ECONNRESET' || !socket.writable || (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const answer = clientErrorAnswer(error.code);
  const body = JSON.stringify({ error: { code: answer.code, message: answer.message } });
  socket.end(
    `HTTP/1.1 ${answer.status} ${answer.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
