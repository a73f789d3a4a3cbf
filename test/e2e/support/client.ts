/** The user's HTTP client (names resolved by the stack's DNS, through nginx), shared with `npm run chaos`. */
export { closeClient, get, post, request } from '../../../stack/native/http-client';
export type { Response } from '../../../stack/native/http-client';
import { LB_OPERATORS_PORT, service } from '../../../stack/topology';

/** nginx's port for operators (metrics, docs, the status page, replication detail): the public name's 404s. */
export const operatorsUrl = (): string => `http://${service('lb').address}:${LB_OPERATORS_PORT}`;
