/** The user's HTTP client (names resolved by the stack's DNS, through nginx), shared with `npm run chaos`. */
export { closeClient, get, post, request } from '../../../stack/native/http-client';
export type { Response } from '../../../stack/native/http-client';
