/**
 * Errors as MCP tool results: `isError: true` and one line `error[CODE]: message`, the CLI's form,
 * with the code also in structuredContent. Messages pass through clientMessage, so no server path
 * reaches a client; an INTERNAL error's message goes to the server log and the client reads a generic
 * line. Never a stack.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { ParascribeError, toParascribeError } from '../errors.js';
import { clientMessage } from '../service/client-message.js';

export interface ClientError {
  code: string;
  message: string;
}

export function clientError(thrown: unknown, dataDir: string, log: (line: string) => void): ClientError {
  const error = toParascribeError(thrown);
  if (error.code === 'INTERNAL') {
    log(`mcp: INTERNAL: ${error.message}`);
    return { code: error.code, message: 'internal error (see the server log)' };
  }
  return { code: error.code, message: clientMessage(error.message, [{ path: dataDir, as: '[server path]' }]) };
}

export const errorLine = (error: ClientError): string => `error[${error.code}]: ${error.message}`;

export function toolError(thrown: unknown, dataDir: string, log: (line: string) => void): CallToolResult {
  const error = clientError(thrown, dataDir, log);
  return { isError: true, content: [{ type: 'text', text: errorLine(error) }], structuredContent: { error: { ...error } } };
}

/** A zod failure of a tool's arguments as INVALID_ARGUMENT, naming each bad field. */
export function invalidArguments(error: z.ZodError): ParascribeError {
  const issues = error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'arguments'}: ${issue.message}`);
  return new ParascribeError('INVALID_ARGUMENT', issues.join('; '));
}
