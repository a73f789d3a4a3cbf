import { parseLsn } from '../../../src/database/lsn';
import { request, Response } from './client';

/** A user of the API that sends back the consistency token of its last response, as a browser's cookie would. */
export class TokenClient {
  token?: string;

  constructor(private readonly sendsToken = true) {}

  async send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = this.sendsToken && this.token ? { 'x-consistency-token': this.token } : {};
    const response = await request(method, path, { body, headers });
    const token = response.headers['x-consistency-token'];
    if (typeof token === 'string') this.token = token;
    return response;
  }

  get lsn(): bigint | undefined {
    return this.token ? parseLsn(this.token.split('.')[3]) : undefined;
  }
}
