/**
 * Whether an error means "this replica cannot serve now" (retry the read elsewhere) rather than "this
 * query is wrong" (which would fail on any node, so it is rethrown).
 */
const NODE_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections.
const NODE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

const NODE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection error|Connection ended|server closed the connection/i;

export function isNodeFailure(error: unknown): boolean {
  const cause = (error as { driverError?: unknown })?.driverError ?? error;
  const { code, message } = (cause ?? {}) as { code?: string; message?: string };
  if (code && (NODE_ERROR_CODES.has(code) || NODE_SQLSTATES.has(code) || code.startsWith('08'))) return true;
  // "canceling statement due to conflict with recovery": the replica replayed a change that removed rows
  // the query needed. The same query succeeds on another node.
  if (code === '40001' && /conflict with recovery/i.test(message ?? '')) return true;
  return NODE_MESSAGES.test(message ?? '');
}

export function describeFailure(error: unknown): string {
  const cause = (error as { driverError?: unknown })?.driverError ?? error;
  const { code, message } = (cause ?? {}) as { code?: string; message?: string };
  return `query failed: ${code ? `${code} ` : ''}${message ?? String(cause)}`;
}
