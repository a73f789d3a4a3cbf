import { inNamespace } from '../../../stack/native/daemons';
import { runAsync } from '../../../stack/native/shell';
import { PUBLIC_HOSTNAME } from '../../../stack/topology';

export interface ClientResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * A request as the native stack's user makes it: curl in the client's namespace, to the public name, through lb.
 * The stack is the one of the STACK_INDEX the spec set before loading the topology.
 */
export async function fromClient(method: string, path: string, { body, token }: { body?: unknown; token?: string } = {}): Promise<ClientResponse> {
  const argv = ['curl', '-s', '-X', method, '-w', '\n%{http_code}', '-H', 'content-type: application/json'];
  if (token) argv.push('-H', `Authorization: Token ${token}`);
  if (body !== undefined) argv.push('-d', JSON.stringify(body));
  const output = await runAsync(inNamespace('client', [...argv, `http://${PUBLIC_HOSTNAME}${path}`]));
  const newline = output.lastIndexOf('\n');
  const text = output.slice(0, newline);
  return { status: Number(output.slice(newline + 1)), body: text ? JSON.parse(text) : undefined };
}

/** Registers `username` through lb, as fromClient sends it. */
export const register = (username: string): Promise<ClientResponse> =>
  fromClient('POST', '/api/users', { body: { user: { username, email: `${username}@example.test`, password: 'password123' } } });
